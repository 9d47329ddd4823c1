import Foundation
@testable import PostgresClient
import PostgresTestSupport
import Testing

/// Inputs and sequences that once hung, crashed or leaked across schemas.
@Suite struct RobustnessTests {
    @Test func copyThroughQueryIsRefusedAndThePoolCarriesOn() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 1))
            try await pool.query("CREATE TABLE t (a int)")
            for sql in ["COPY t FROM STDIN", "COPY t TO STDOUT"] {
                let error = await postgresError { try await pool.query(PostgresQuery(unsafeSQL: sql)) }
                #expect(error?.kind == .misuse, "\(sql): \(String(describing: error))")
            }
            // The spoiled connection was closed, not lent again.
            let count = try await pool.query("SELECT count(*) FROM t").single().decode(Int.self)
            #expect(count == 0)
            await pool.close()
        }
    }

    @Test func aNestedTransactionInAnotherSchemaGivesTheOuterItsSearchPathBack() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.executeUnsafeScript("""
                CREATE SCHEMA county_a; CREATE TABLE county_a.proposal (title text); INSERT INTO county_a.proposal VALUES ('a');
                CREATE SCHEMA county_b; CREATE TABLE county_b.proposal (title text); INSERT INTO county_b.proposal VALUES ('b');
                """)
            let a = try PostgresIdentifier("county_a")
            let b = try PostgresIdentifier("county_b")
            let titles = try await connection.withTransaction(inSchema: a) { outer -> [String] in
                let inner = try await outer.withTransaction(inSchema: b) { inner in
                    try await inner.query("SELECT title FROM proposal").single().decode(String.self)
                }
                let after = try await outer.query("SELECT title FROM proposal").single().decode(String.self)
                return [inner, after]
            }
            #expect(titles == ["b", "a"])
        }
    }

    @Test func hugeIntervalsAndDatesFailCleanlyInsteadOfCrashing() async throws {
        try await TestDatabase.withConnection { connection in
            let rows = try await connection.query("SELECT interval '200000000 days'")
            #expect(throws: PostgresDecodingError.self) { try rows.single().decode(Duration.self) }
            let interval = try rows.single().decode(PostgresInterval.self)
            #expect(interval.days == 200_000_000)

            for date in [Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: 1e300), Date.distantFuture.addingTimeInterval(1e12)] {
                let error = await postgresError { try await connection.query("SELECT \(date)") }
                #expect(error?.kind == .misuse)
            }
            let error = await postgresError { try await connection.query("SELECT \(Duration.seconds(Int64.max))") }
            #expect(error?.kind == .misuse)
        }
    }

    @Test func aHugeConnectTimeoutIsClampedNotACrash() async throws {
        let configuration = PostgresConfiguration(connectionString: "host=/nonexistent-tongxin connect_timeout=10000000000000000")
        let error = await postgresError { _ = try await PostgresConnection.connect(configuration: configuration) }
        #expect(error?.kind == .connectionFailed)
    }

    @Test func calendarArithmeticStaysInTheYearsOneToNineThousandNineHundredNinetyNine() throws {
        let date = try CalendarDate("0001-01-15")
        #expect(throws: PostgresError.self) { try date.adding(months: -13) }
        #expect(throws: PostgresError.self) { try date.adding(days: Int.max) }
        #expect(throws: PostgresError.self) { try date.adding(months: Int.max) }
        #expect(throws: PostgresError.self) { try CalendarDate(daysSinceEpoch: Int.max) }
        let march = try CalendarDate("2021-03-31")
        #expect(try march.adding(months: -1) == CalendarDate("2021-02-28"))
        #expect(try march.adding(months: -15) == CalendarDate("2019-12-31"))
        #expect(try march.adding(days: 92) == CalendarDate("2021-07-01"))
    }

    @Test func intervalTextThatOverflowsIsRejected() {
        #expect(PostgresInterval(iso: "PT9999999999999H") == nil)
        #expect(PostgresInterval(iso: "P99999999999999999Y") == nil)
        #expect(PostgresInterval(iso: "PT-92233720368547.758080S") == nil)
        #expect(PostgresInterval(iso: "P1Y2M3DT4H5M6.5S") == PostgresInterval(months: 14, days: 3, microseconds: 14_706_500_000))
    }

    @Test func aPipelineRecoversFromAStalePlanAfterDDL() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE p (id int)")
            try await connection.query("INSERT INTO p VALUES (1)")
            let select: PostgresQuery = "SELECT * FROM p WHERE id = \(1)"
            _ = try await connection.pipeline([select])
            try await connection.query("ALTER TABLE p ADD COLUMN title text")
            // The first pipeline meets the stale plan and forgets it; the next one re-prepares.
            _ = try? await connection.pipeline([select])
            let rows = try await connection.pipeline([select])
            #expect(rows[0].columns == ["id", "title"])
        }
    }

    @Test func discardAllOnAPooledConnectionDoesNotBreakTheNextBorrowersTransaction() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 1))
            let query: PostgresQuery = "SELECT interval '3 months 2 days' AS i, \(5) AS n"
            _ = try await pool.query(query)
            try await pool.withConnection { try await $0.executeUnsafeScript("DISCARD ALL") }
            let (interval, n) = try await pool.withTransaction { connection in
                try await connection.query(query).single().decode((PostgresInterval, Int).self)
            }
            #expect(interval == PostgresInterval(months: 3, days: 2))
            #expect(n == 5)
            await pool.close()
        }
    }
}

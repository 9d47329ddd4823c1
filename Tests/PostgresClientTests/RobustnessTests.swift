import Foundation
import Glibc
@testable import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase

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
            #expect(pool.statistics.discarded >= 2)
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
        // A socket that accepts connections and never answers: libpq waits for the server's
        // first message with the connect timeout, which must not overflow poll()'s milliseconds.
        let folder = NSTemporaryDirectory() + "silent-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let listener = try SilentSocket(path: folder + "/.s.PGSQL.5432")
        defer { listener.close() }
        let configuration = PostgresConfiguration(connectionString: "host=\(folder) port=5432 connect_timeout=10000000000000000")
        let attempt = Task { try await PostgresConnection.connect(configuration: configuration) }
        try await Task.sleep(for: .milliseconds(300))
        attempt.cancel()
        let result = await attempt.result
        #expect(throws: CancellationError.self) { _ = try result.get() }
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
            let stale = await postgresError { _ = try await connection.pipeline([select]) }
            #expect(stale?.isStalePlan == true, "\(String(describing: stale))")
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

/// A unix socket that listens and never accepts: a server that does not answer.
final class SilentSocket: Sendable {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard fd >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw PostgresError(kind: .misuse, message: "cannot make a socket at \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            Glibc.close(fd)
            throw PostgresError(kind: .misuse, message: "cannot listen at \(path)")
        }
    }

    func close() { Glibc.close(fd) }
}

@Suite struct SessionFormatTests {
    @Test func intervalsStillDecodeAfterDiscardAllOrResetAllOnThePlainConnection() async throws {
        try await TestDatabase.withConnection { connection in
            let query: PostgresQuery = "SELECT interval '1 day 2 hours', \(1)"
            _ = try await connection.query(query)
            try await connection.executeUnsafeScript("DISCARD ALL")
            let (first, _) = try await connection.query(query).single().decode((PostgresInterval, Int).self)
            #expect(first == PostgresInterval(days: 1, microseconds: 7_200_000_000))
            let second = try await connection.withTransaction { tx -> PostgresInterval in
                try await tx.executeUnsafeScript("RESET ALL")
                return try await tx.query("SELECT interval '3 months'").single().decode(PostgresInterval.self)
            }
            #expect(second == PostgresInterval(months: 3))
            let style = try await connection.query("SHOW IntervalStyle").single().decode(String.self)
            #expect(style == "iso_8601")
        }
    }
}

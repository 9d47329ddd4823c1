import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct QueryTests {
    @Test func interpolatedValuesBecomeNumberedBindParameters() async throws {
        let id: Int64 = 7
        let title = "道路维修"
        let query: PostgresQuery = "SELECT \(id) AS id, \(title) AS title, \(Optional<String>.none) AS nothing"
        #expect(query.sql == "SELECT $1 AS id, $2 AS title, $3 AS nothing")
        #expect(query.binds.count == 3)
        try await TestDatabase.withConnection { connection in
            let (gotID, gotTitle, nothing) = try await connection.query(query).single()
                .decode((Int64, String, String?).self)
            #expect(gotID == id)
            #expect(gotTitle == title)
            #expect(nothing == nil)
        }
    }

    @Test func anInjectionAttemptAsAValueStaysData() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (id serial PRIMARY KEY, title text NOT NULL)")
            let attack = "x'); DROP TABLE proposal; --"
            let query: PostgresQuery = "INSERT INTO proposal (title) VALUES (\(attack)) RETURNING title"
            #expect(!query.sql.contains("DROP"))
            let stored = try await connection.query(query).single().decode(String.self, at: 0)
            #expect(stored == attack)
            let count = try await connection.scalar(
                "SELECT count(*) FROM proposal WHERE title = \(attack)", as: Int.self)
            #expect(count == 1)
            let tableStillThere = try await connection.scalar(
                "SELECT to_regclass('public.proposal') IS NOT NULL", as: Bool.self)
            #expect(tableStillThere)
        }
    }

    @Test func identifierInterpolationQuotesTheName() async throws {
        let schema = try PostgresIdentifier("county_0421")
        let table = try PostgresIdentifier("proposal")
        let query: PostgresQuery = "SELECT count(*) FROM \(identifier: schema, table) WHERE \(identifier: table).id > \(0)"
        #expect(query.sql == "SELECT count(*) FROM \"county_0421\".\"proposal\" WHERE \"proposal\".id > $1")
        #expect(query.binds.count == 1)
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE SCHEMA \(identifier: schema)")
            try await connection.query("CREATE TABLE \(identifier: schema, table) (id int)")
            try await connection.query("INSERT INTO \(identifier: schema, table) VALUES (1), (2)")
            let count = try await connection.scalar(query, as: Int.self)
            #expect(count == 2)
        }
    }

    @Test(arguments: ["Robert'); DROP", "A", "", String(repeating: "a", count: 64), "1abc", "a b", "a\"b", "提案"])
    func postgresIdentifierRejectsAnInvalidName(_ name: String) throws {
        #expect(!PostgresIdentifier.isValid(name))
        let error = #expect(throws: PostgresError.self) { try PostgresIdentifier(name) }
        #expect(error?.kind == .misuse)
    }

    @Test func postgresIdentifierAcceptsLowercaseNamesUpTo63Bytes() throws {
        for name in ["a", "_x", "county_0421", String(repeating: "z", count: 63)] {
            let identifier = try PostgresIdentifier(name)
            #expect(identifier.quoted == "\"\(name)\"")
        }
    }

    @Test func unsafeSQLEscapeHatchRunsTheTextAsItIs() async throws {
        try await TestDatabase.withConnection { connection in
            let column = "an_alias"
            let query = PostgresQuery(unsafeSQL: "SELECT 40 + 2 AS \(column)")
            #expect(query.binds.count == 0)
            let rows = try await connection.query(query)
            #expect(rows.columns == ["an_alias"])
            #expect(try rows.single().decode(Int.self, column: "an_alias") == 42)

            var binds = PostgresBindings()
            binds.append("hello")
            binds.append(Int64(5))
            let withBinds = PostgresQuery(unsafeSQL: "SELECT left($1, $2::int)", binds: binds)
            #expect(try await connection.scalar(withBinds, as: String.self) == "hello")

            let unescaped: PostgresQuery = "SELECT \(unescaped: "upper")(\("abc"))"
            #expect(unescaped.sql == "SELECT upper($1)")
            #expect(try await connection.scalar(unescaped, as: String.self) == "ABC")
        }
    }

    @Test func printingAQueryRedactsItsBoundValues() throws {
        let secret = "s3cr3t-身份证-110101199003077777"
        let query: PostgresQuery = "SELECT * FROM citizen WHERE id_number = \(secret) AND age > \(Int64(987_654))"
        let printed = String(describing: query)
        #expect(printed.contains("SELECT * FROM citizen WHERE id_number = $1"))
        #expect(!printed.contains(secret))
        #expect(!printed.contains("987654"))
        let debug = String(reflecting: query)
        #expect(!debug.contains(secret))
        #expect(!debug.contains("987654"))
        #expect(!"\(query.binds)".contains(secret))
    }

    @Test func aStringWithANulCharacterIsRejectedAsMisuseWhenExecuted() async throws {
        try await TestDatabase.withConnection { connection in
            let value = "before\u{0}after"
            let error = await postgresError { try await connection.query("SELECT \(value)") }
            #expect(error?.kind == .misuse)
            // In a pipeline too, and the connection stays usable.
            let pipelined = await postgresError { _ = try await connection.pipeline(["SELECT 1", "SELECT \(value)"]) }
            #expect(pipelined?.kind == .misuse)
            let one = try await connection.scalar("SELECT 1", as: Int.self)
            #expect(one == 1)
        }
    }

    @Test func affectedRowsAndCommandTagComeFromTheServer() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE t (id int)")
            let inserted = try await connection.execute("INSERT INTO t SELECT generate_series(1, \(Int32(5)))")
            #expect(inserted == 5)
            let updated = try await connection.execute("UPDATE t SET id = id + 1 WHERE id > \(Int32(2))")
            #expect(updated == 3)
            let rows = try await connection.query("DELETE FROM t")
            #expect(rows.commandTag == "DELETE 5")
            #expect(rows.affectedRows == 5)
        }
    }
}

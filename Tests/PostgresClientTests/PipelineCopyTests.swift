import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct PipelineTests {
    @Test func pipelineReturnsEachStatementsRowsInOrder() async throws {
        try await TestDatabase.withConnection { connection in
            let results = try await connection.pipeline([
                "SELECT \(Int64(1)) AS one",
                "SELECT \("二") AS two",
                "SELECT g FROM generate_series(1, \(Int32(3))) g",
                "CREATE TABLE t (id int)",
                "INSERT INTO t VALUES (1), (2)",
                "SELECT count(*) FROM t",
            ])
            #expect(results.count == 6)
            #expect(try results[0].single().decode(Int64.self, column: "one") == 1)
            #expect(try results[1].single().decode(String.self, column: "two") == "二")
            #expect(try results[2].values(Int32.self) == [1, 2, 3])
            #expect(results[3].commandTag == "CREATE TABLE")
            #expect(results[4].affectedRows == 2)
            #expect(try results[5].single().decode(Int.self, at: 0) == 2)
            #expect(try await connection.pipeline([]).isEmpty)
        }
    }

    @Test func thousandPipelinedInsertsAllLand() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int PRIMARY KEY, label text NOT NULL)")
            let inserts: [PostgresQuery] = (0..<1000).map { i in
                "INSERT INTO item VALUES (\(Int32(i)), \("第\(i)项"))"
            }
            let results = try await connection.pipeline(inserts)
            #expect(results.count == 1000)
            #expect(results.allSatisfy { $0.affectedRows == 1 })
            let (count, sum, distinct) = try await connection.query(
                "SELECT count(*), sum(id), count(DISTINCT label) FROM item"
            ).single().decode((Int, Int, Int).self)
            #expect(count == 1000)
            #expect(sum == (0..<1000).reduce(0, +))
            #expect(distinct == 1000)
            #expect(try await connection.scalar("SELECT label FROM item WHERE id = 999", as: String.self) == "第999项")
        }
    }

    @Test func aFailingStatementInAPipelineThrowsItsErrorAndUndoesTheWholePipeline() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int PRIMARY KEY)")
            let failing: PostgresQuery = "INSERT INTO item VALUES (\(Int32(2))) /* the duplicate */"
            let queries: [PostgresQuery] = [
                "INSERT INTO item VALUES (\(Int32(1)))",
                "INSERT INTO item VALUES (\(Int32(2)))",
                failing,
                "INSERT INTO item VALUES (\(Int32(3)))",
                "SELECT * FROM no_such_table",
            ]
            let error = await postgresError { _ = try await connection.pipeline(queries) }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.query == failing.sql)
            #expect(try await connection.scalar("SELECT count(*) FROM item", as: Int.self) == 0)
            #expect(try await connection.inTransaction == false)
            // The connection is fine and the statements run once the conflict is gone.
            let ok = try await connection.pipeline(Array(queries[0...1]) + [queries[3]])
            #expect(ok.count == 3)
            #expect(try await connection.scalar("SELECT count(*) FROM item", as: Int.self) == 3)
        }
    }
}

@Suite struct CopyTests {
    /// Row `i` of the COPY tests: awkward text that must survive COPY's text format.
    static func row(_ i: Int) -> (id: Int32, body: String, note: String?) {
        let bodies = [
            "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "提案第\(i)号", "", "end\\",
            "mixed\t\\n\n\\t 中文 \"quotes\" 'single'", "NULL",
        ]
        let note: String? = i % 7 == 0 ? nil : (i % 3 == 0 ? "" : "note \(i)\t\\")
        return (Int32(i), bodies[i % bodies.count] + " #\(i)", note)
    }

    @Test func copyFromLoadsTenThousandRowsThatRoundTripExactly() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int PRIMARY KEY, body text NOT NULL, note text)")
            let loaded = try await connection.copyFrom(
                table: try PostgresIdentifier("item"),
                columns: [try PostgresIdentifier("id"), try PostgresIdentifier("body"), try PostgresIdentifier("note")]
            ) { writer in
                for i in 0..<10_000 {
                    let row = CopyTests.row(i)
                    writer.field(row.id)
                    writer.field(row.body)
                    writer.field(row.note)
                    try writer.endRow()
                }
            }
            #expect(loaded == 10_000)
            let rows = try await connection.query("SELECT id, body, note FROM item ORDER BY id").decode((Int32, String, String?).self)
            #expect(rows.count == 10_000)
            var mismatches = 0
            for (index, row) in rows.enumerated() {
                let expected = CopyTests.row(index)
                if row.0 != expected.id || row.1 != expected.body || row.2 != expected.note {
                    mismatches += 1
                    if mismatches <= 3 { Issue.record("row \(index): got \(row), expected \(expected)") }
                }
            }
            #expect(mismatches == 0)
            let nulls = try await connection.scalar("SELECT count(*) FROM item WHERE note IS NULL", as: Int.self)
            #expect(nulls == (0..<10_000).filter { $0 % 7 == 0 }.count)
        }
    }

    @Test func copyIntoASchemaWithTheRowHelper() async throws {
        try await TestDatabase.withConnection { connection in
            let county = try PostgresIdentifier("county_0421")
            try await connection.query("CREATE SCHEMA \(identifier: county)")
            try await connection.query("CREATE TABLE \(identifier: county).member (name text, seats int8)")
            let loaded = try await connection.copyFrom(
                table: try PostgresIdentifier("member"), schema: county,
                columns: [try PostgresIdentifier("name"), try PostgresIdentifier("seats")]
            ) { writer in
                try writer.row("张三", Int64(3))
                try writer.row("李四\t王五", Int64(-1))
            }
            #expect(loaded == 2)
            let rows = try await connection.query("SELECT name, seats FROM \(identifier: county).member ORDER BY seats")
                .decode((String, Int64).self)
            #expect(rows.map(\.0) == ["李四\t王五", "张三"])
            #expect(rows.map(\.1) == [-1, 3])
        }
    }

    @Test func aThrowingProducerAbortsTheCopyAndLeavesTheTableEmpty() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int)")
            let error = await thrownError {
                try await connection.copyFrom(table: try PostgresIdentifier("item"), columns: [try PostgresIdentifier("id")]) { writer in
                    // Enough rows that some chunks were already sent.
                    for i in 0..<50_000 { try writer.row(Int32(i)) }
                    throw SomeTestError(tag: "producer failed")
                }
            }
            #expect(error as? SomeTestError == SomeTestError(tag: "producer failed"))
            #expect(try await connection.scalar("SELECT count(*) FROM item", as: Int.self) == 0)
            #expect(try await connection.inTransaction == false)
            // The connection is usable for another COPY.
            let loaded = try await connection.copyFrom(table: try PostgresIdentifier("item"), columns: [try PostgresIdentifier("id")]) { writer in
                try writer.row(Int32(7))
            }
            #expect(loaded == 1)
            #expect(try await connection.scalar("SELECT id FROM item", as: Int32.self) == 7)
        }
    }

    @Test func aRowTheServerRejectsMidwayFailsTheCopyAndLoadsNothing() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int NOT NULL, label text)")
            let error = await postgresError {
                try await connection.copyFrom(
                    table: try PostgresIdentifier("item"), columns: [try PostgresIdentifier("id"), try PostgresIdentifier("label")]
                ) { writer in
                    for i in 0..<20_000 {
                        if i == 10_000 { writer.null() } else { writer.field(Int32(i)) }
                        writer.field("行\(i)")
                        try writer.endRow()
                    }
                }
            }
            #expect(error?.sqlState == .notNullViolation)
            #expect(try await connection.scalar("SELECT count(*) FROM item", as: Int.self) == 0)
            #expect(try await connection.inTransaction == false)
        }
    }

    @Test func copyNamingAMissingColumnFailsWithTheServersError() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE item (id int)")
            let produced = Counter()
            let error = await postgresError {
                try await connection.copyFrom(table: try PostgresIdentifier("item"), columns: [try PostgresIdentifier("no_such_column")]) { writer in
                    produced.increment()
                    try writer.row(Int32(1))
                }
            }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == .undefinedColumn)
            #expect(produced.value == 0)
            let missingTable = await postgresError {
                try await connection.copyFrom(table: try PostgresIdentifier("no_such_table"), columns: [try PostgresIdentifier("id")]) { writer in
                    try writer.row(Int32(1))
                }
            }
            #expect(missingTable?.sqlState == .undefinedTable)
            #expect(try await connection.scalar("SELECT count(*) FROM item", as: Int.self) == 0)
        }
    }
}

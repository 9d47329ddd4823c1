import Foundation
import Migrations
import EmbeddedPostgres
import PostgresClient
import PostgresTestSupport
import Testing

/// A copy of the repository's migrations with extra county files, removed afterwards.
func withMigrationsFolder<R: Sendable>(
    extra: [String: String], edit: [String: String] = [:], _ body: (String) async throws -> R
) async throws -> R {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let folder = NSTemporaryDirectory() + "migrations-" + UUID().uuidString.prefix(8)
    try FileManager.default.copyItem(atPath: repository.appendingPathComponent("migrations").path, toPath: folder)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (name, sql) in extra.merging(edit, uniquingKeysWith: { $1 }) {
        try sql.write(toFile: folder + "/county/" + name, atomically: true, encoding: .utf8)
    }
    return try await body(folder)
}

@Suite struct MigrateProgramTests {
    func tongxin(_ arguments: [String], _ configuration: PostgresConfiguration) async throws -> Programs.Outcome {
        try await Programs.run("tongxin", arguments, environment: ["DATABASE_URL": Programs.url(configuration)])
    }

    @Test func planShowsPendingFilesAndVerifyNamesDriftedFilesAndCounties() async throws {
        try await TestDatabase.withDatabase { configuration in
            for code in ["a1", "a2"] { _ = try await tongxin(["county", "create", code, "--name", "县"], configuration) }
            try await withMigrationsFolder(extra: ["0900_note.sql": "CREATE TABLE note (id int);\n"]) { folder in
                let plan = try await tongxin(["migrate", "plan", "--migrations", folder], configuration)
                #expect(plan.lines == ["a1: 0900_note.sql", "a2: 0900_note.sql", "2 file(s) to apply in 2 schema(s)"])
                let verified = try await tongxin(["migrate", "verify", "--migrations", folder], configuration)
                #expect(verified.status == 0, "\(verified.output)")
            }
            let original = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations/county/0001_audit_log.sql").path, encoding: .utf8)
            try await withMigrationsFolder(extra: [:], edit: ["0001_audit_log.sql": original + "-- edited\n"]) { folder in
                let verify = try await tongxin(["migrate", "verify", "--migrations", folder], configuration)
                #expect(verify.status == 1)
                #expect(verify.lines == ["tongxin: county/0001_audit_log.sql changed after it was applied in 2 county(ies): a1, a2"])
                let status = try await tongxin(["migrate", "status", "--migrations", folder], configuration)
                let built = try MigrationSet.builtIn().county.last?.version ?? 0
                #expect(status.lines.contains("a1\tversion \(built)\t0 pending\tDRIFT: 0001_audit_log.sql"), "\(status.output)")
            }
        }
    }

    @Test func aRunnerKilledMidRunLeavesNoCountyHalfMigratedAndARerunResumes() async throws {
        try await TestDatabase.withDatabase { configuration in
            let codes = (0..<10).map { "k\($0)" }
            for code in codes { _ = try await tongxin(["county", "create", code, "--name", "县"], configuration) }
            // Each county takes a while: the kill lands in the middle of the run.
            let slow = "CREATE TABLE slow (id int);\nSELECT pg_sleep(0.2);\nINSERT INTO slow VALUES (1);\n"
            try await withMigrationsFolder(extra: ["0900_slow.sql": slow]) { folder in
                let child = try SpawnedProcess(
                    Programs.directory + "/tongxin", ["migrate", "up", "--all", "--jobs", "2", "--migrations", folder],
                    environment: Programs.cleanEnvironment(["DATABASE_URL": Programs.url(configuration)]))
                for _ in 0..<500 where child.output.components(separatedBy: "applied 0900_slow.sql").count < 3 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                child.signal(SIGKILL)
                _ = try await offCooperativePool { child.waitForExit() }

                // Every county is either fully at 0900 (table, row and history) or untouched.
                var migrated = 0
                try await PostgresConnection.withConnection(configuration: configuration) { connection in
                    for code in codes {
                        let (history, table) = try await connection.query("""
                            SELECT (SELECT count(*) FROM \(unescaped: "county_" + code).schema_history WHERE version = 900),
                                   to_regclass(\("county_" + code + ".slow")) IS NOT NULL
                            """).single().decode((Int, Bool).self)
                        #expect((history == 1) == table, "\(code): history \(history), table \(table)")
                        if table {
                            let rows = try await connection.query("SELECT count(*) FROM \(unescaped: "county_" + code).slow").single().decode(Int.self)
                            #expect(rows == 1)
                            migrated += 1
                        }
                    }
                }
                #expect(migrated >= 2 && migrated < codes.count, "the kill came at \(migrated) of \(codes.count)")
                let rerun = try await tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", folder], configuration)
                #expect(rerun.status == 0, "\(rerun.output)")
                #expect(rerun.lines.last == "counties: 10 done, \(codes.count - migrated) changed, 0 failed, 0 not started")
            }
        }
    }
}

@Suite struct ResolveProgramTests {
    @Test func aFailedNoTransactionFileIsReportedBlocksAndIsResolvedFromTheCommandLine() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            func tongxin(_ arguments: [String]) async throws -> Programs.Outcome {
                try await Programs.run("tongxin", arguments, environment: ["DATABASE_URL": url])
            }
            _ = try await tongxin(["county", "create", "r1", "--name", "县"])
            try await PostgresConnection.withConnection(configuration: configuration) {
                try await $0.query("INSERT INTO county_r1.audit_log (actor, entity, entity_id, action) VALUES ('a', 'p', '1', 'x'), ('a', 'p', '1', 'x')")
            }
            let unique = "-- tongxin:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY audit_u ON audit_log (entity, entity_id, action);\n"
            try await withMigrationsFolder(extra: ["0900_unique.sql": unique]) { folder in
                let failed = try await tongxin(["migrate", "up", "--all", "--migrations", folder])
                #expect(failed.status == 1)
                #expect(failed.output.contains("r1: FAILED: county_r1: county/0900_unique.sql failed outside a transaction"))
                let status = try await tongxin(["migrate", "status", "--migrations", folder])
                let built = try MigrationSet.builtIn().county.last?.version ?? 0
                #expect(status.lines.contains("r1\tversion \(built)\t0 pending\tFAILED: 0900_unique.sql"), "\(status.output)")
                let usage = try await tongxin(["migrate", "resolve", "900", "--migrations", folder])
                #expect(usage.status == 64)
                try await PostgresConnection.withConnection(configuration: configuration) { connection in
                    try await connection.query("DROP INDEX county_r1.audit_u")
                    try await connection.query("DELETE FROM county_r1.audit_log WHERE id = (SELECT max(id) FROM county_r1.audit_log)")
                    try await connection.query("CREATE UNIQUE INDEX audit_u ON county_r1.audit_log (entity, entity_id, action)")
                }
                let resolved = try await tongxin(["migrate", "resolve", "--county", "r1", "900", "--migrations", folder])
                #expect(resolved.lines == ["county r1: migration 900 marked resolved; run `tongxin migrate up` to go on"])
                let again = try await tongxin(["migrate", "up", "--all", "--migrations", folder])
                #expect(again.status == 0, "\(again.output)")
                let control = try await tongxin(["migrate", "resolve", "--control", "1", "--migrations", folder])
                #expect(control.status == 1)
                #expect(control.output == "tongxin: tongxin: no failed migration with version 1 to resolve\n")
            }
        }
    }
}

import Foundation
import PostgresClient

/// `migrate up --all` raced and failing, over 1,000 counties. Each extra migration creates a
/// table and inserts one row, so a county shows whether it ran once, twice, half or not at all.
enum MigrationFaults {
    /// The counties are made once and shared by the two migration scenarios.
    static let database = "chaos_migrate"

    static func counties(_ harness: Harness) async throws -> [String] {
        let count = 1000
        let existing = try? await harness.withConnection(database) { c in
            try await c.query("SELECT code FROM tongxin.county ORDER BY code").decode(String.self)
        }
        if let existing, existing.count == count { return existing }
        _ = try await harness.freshDatabase(database)
        let started = ContinuousClock.now
        let codes = try await harness.createCounties(database, prefix: "c", count: count)
        say("  \(count) counties created in \(String(format: "%.0f", seconds(ContinuousClock.now - started))) s")
        return codes
    }

    /// For each county: its history row of `version` and the rows in `table` (each extra
    /// migration inserts one). Returns the counties at that version (history and one row), the
    /// half-applied ones (history without the row, or the table without history) and those
    /// where it ran more than once (more than one row: the files use CREATE TABLE IF NOT EXISTS,
    /// so a second run would add a row rather than fail).
    static func applied(_ harness: Harness, _ database: String, counties: [String], version: Int, table: String) async throws
        -> (atHead: Int, partial: Int, twice: Int)
    {
        try await harness.withConnection(database) { c in
            var atHead = 0, partial = 0, twice = 0
            for chunk in stride(from: 0, to: counties.count, by: 200) {
                let codes = counties[chunk..<min(chunk + 200, counties.count)]
                let present: [Bool] = try await c.pipeline(try codes.map { code in
                    let schema = try PostgresIdentifier("county_" + code)
                    return "SELECT to_regclass(\(schema.quoted + "." + table)) IS NOT NULL"
                }).map { try $0.single().decode(Bool.self) }
                let counts: [(Int, Int)] = try await c.pipeline(try zip(codes, present).map { code, exists in
                    let schema = try PostgresIdentifier("county_" + code)
                    let rows: PostgresQuery = exists ? "(SELECT count(*) FROM \(identifier: schema).\(identifier: try PostgresIdentifier(table)))" : "0"
                    return """
                        SELECT (SELECT count(*) FROM \(identifier: schema).schema_history
                                WHERE version = \(version) AND state IN ('applied', 'resolved')), \(fragment: rows)
                        """
                }).map { try $0.single().decode((Int, Int).self) }
                for (history, rows) in counts {
                    if rows > 1 { twice += 1 } else if history == 1 && rows == 1 { atHead += 1 } else if history == 1 || rows == 1 { partial += 1 }
                }
            }
            return (atHead, partial, twice)
        }
    }

    // MARK: Four runners at once

    static func concurrent(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.concurrentMigrate.rawValue)
        let counties = try await counties(harness)
        let folder = try harness.migrationsFolder("concurrent", extra: [
            "0900_chaos_once.sql": "CREATE TABLE IF NOT EXISTS chaos_once (n int NOT NULL);\nINSERT INTO chaos_once VALUES (1);\n",
        ])
        let runs = try await withThrowingTaskGroup(of: Harness.Run.self) { group in
            for _ in 0..<4 {
                group.addTask { try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", folder], database: database) }
            }
            var runs: [Harness.Run] = []
            for try await run in group { runs.append(run) }
            return runs
        }
        outcome.runs = runs.count
        for run in runs {
            if run.trapped { outcome.traps += 1 }
            if run.status != 0 { outcome.findings.append("a runner exited with status \(run.status): \(run.stderr.suffix(300))") }
        }
        let (atHead, partial, twice) = try await applied(harness, database, counties: counties, version: 900, table: "chaos_once")
        outcome.lost = counties.count - atHead - partial - twice
        outcome.partialWrites = partial
        outcome.duplicated = twice
        outcome.notes = [
            "4 × migrate up --all --jobs 2 over \(counties.count) counties: exits \(runs.map { String($0.status) }.joined(separator: ", ")); "
                + "summaries: \(runs.compactMap { $0.stdout.split(separator: "\n").last.map(String.init) }.joined(separator: " | "))",
            "0900 applied once in \(atHead) counties, half-applied in \(partial), more than once in \(twice)",
        ]
        return outcome
    }

    // MARK: One county fails

    static func failing(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.failingMigration.rawValue)
        let counties = try await counties(harness)
        // A county whose data makes the next migration fail (division by zero), in the middle.
        let victim = counties[counties.count / 2]
        let schema = try PostgresIdentifier("county_" + victim)
        let base = try harness.migrationsFolder("failing", extra: [
            "0900_chaos_once.sql": "CREATE TABLE IF NOT EXISTS chaos_once (n int NOT NULL);\nINSERT INTO chaos_once VALUES (1);\n",
        ])
        let prepared = try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", base], database: database)
        guard prepared.status == 0 else { throw ChaosError("migrate up to 0900: \(prepared.stderr)") }
        _ = try await harness.withConnection(database) { c in
            try await c.query("UPDATE \(identifier: schema).chaos_once SET n = 0")
        }
        try "CREATE TABLE IF NOT EXISTS chaos_ratio (r int NOT NULL);\nINSERT INTO chaos_ratio SELECT 100 / n FROM chaos_once;\n"
            .write(toFile: base + "/county/0901_chaos_ratio.sql", atomically: true, encoding: .utf8)
        let before = try await snapshot(harness, schema)
        let failed = try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--continue-on-error", "--migrations", base], database: database)
        outcome.runs += 1
        if failed.trapped { outcome.traps += 1 }
        let output = failed.stdout + failed.stderr
        if failed.status == 0 { outcome.findings.append("migrate up exited 0 although \(victim) failed") }
        if !failed.errorLines.contains(where: { $0.contains(victim) }) {
            outcome.findings.append("the error does not name \(victim): \(failed.stderr.suffix(300))")
        }
        let after = try await snapshot(harness, schema)
        if before != after { outcome.partialWrites += 1; outcome.findings.append("\(victim) changed although its migration failed") }
        let others = counties.filter { $0 != victim }
        let (atHead, partial, twice) = try await applied(harness, database, counties: others, version: 901, table: "chaos_ratio")
        outcome.lost += others.count - atHead - partial - twice
        outcome.partialWrites += partial
        outcome.duplicated += twice

        // The fix, then a rerun that completes.
        _ = try await harness.withConnection(database) { c in
            try await c.query("UPDATE \(identifier: schema).chaos_once SET n = 1")
        }
        let rerun = try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", base], database: database)
        outcome.runs += 1
        if rerun.trapped { outcome.traps += 1 }
        if rerun.status != 0 { outcome.findings.append("the rerun after the fix failed: \(rerun.stderr.suffix(300))") }
        let (fixed, fixedPartial, fixedTwice) = try await applied(harness, database, counties: counties, version: 901, table: "chaos_ratio")
        outcome.lost += counties.count - fixed - fixedPartial - fixedTwice
        outcome.partialWrites += fixedPartial
        outcome.duplicated += fixedTwice
        outcome.notes = [
            "0901 fails in \(victim) of \(counties.count): exit \(failed.status), error: \(failed.errorLines.first(where: { $0.contains(victim) }) ?? "-")",
            "summary: \(output.split(separator: "\n").last(where: { $0.hasPrefix("counties:") }) ?? "-")",
            "\(victim) unchanged: \(before == after); the others at 0901: \(atHead) of \(others.count)",
            "after the fix: rerun exit \(rerun.status), \(fixed) of \(counties.count) at 0901",
        ]
        return outcome
    }

    /// A county's migration history and tables, to compare before and after.
    static func snapshot(_ harness: Harness, _ schema: PostgresIdentifier) async throws -> String {
        try await harness.withConnection(database) { c in
            let history: String? = try await c.query("SELECT string_agg(version::text || ':' || coalesce(checksum, ''), ',' ORDER BY version) FROM \(identifier: schema).schema_history")
                .single().decode(String?.self)
            let tables: String? = try await c.query("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = \(schema.name)")
                .single().decode(String?.self)
            let rows: String? = try await c.query("SELECT string_agg(n::text, ',') FROM \(identifier: schema).chaos_once").single().decode(String?.self)
            return (history ?? "") + "|" + (tables ?? "") + "|" + (rows ?? "")
        }
    }
}

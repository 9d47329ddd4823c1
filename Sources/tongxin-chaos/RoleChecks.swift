import Foundation
import PostgresClient

/// Tenant isolation: a staff login granted county a's role, against county b's schema, a's
/// audit log, b's jobs, and every staff command given `--county b`.
enum RoleChecks {
    static func run(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.countyRoles.rawValue)
        let database = try await harness.freshDatabase("chaos_roles")
        for code in ["rl_a", "rl_b"] {
            let created = try await harness.tongxin(["county", "create", code, "--name", "县", "--purpose", "training"], database: database)
            guard created.status == 0 else { throw ChaosError("county create \(code): \(created.stderr)") }
            let filled = try await harness.tongxin(["demo", "fill", "--county", code, "--year", "2021", "--profile", "leiyang"], database: database)
            guard filled.status == 0 else { throw ChaosError("demo fill \(code): \(filled.stderr)") }
        }
        _ = try await harness.withConnection(database) { c in
            try await c.executeUnsafeScript("""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chaos_staff') THEN CREATE ROLE chaos_staff LOGIN; END IF;
                END $$;
                GRANT tongxin_county_rl_a TO chaos_staff;
                """)
        }
        // The login acts as a staff account of county a in the CLI.
        let linked = try await harness.tongxin(["account", "add", "chaos.staff", "--role", "staff", "--county", "rl_a", "--db-login", "chaos_staff"],
                                               database: database)
        guard linked.status == 0 else { throw ChaosError("account add chaos.staff: \(linked.stderr)") }
        let staffURL = harness.url(database) + " user=chaos_staff"
        let staff = PostgresConfiguration(connectionString: staffURL)

        // SQL: every table of b, four ways; a's audit log, three ways; b's jobs.
        let tables = try await harness.withConnection(database) { c in
            try await c.query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'county_rl_b' ORDER BY 1").decode(String.self)
        }
        var probes: [String] = []
        for table in tables {
            probes += [
                "SELECT * FROM county_rl_b.\(table) LIMIT 1",
                "INSERT INTO county_rl_b.\(table) DEFAULT VALUES",
                "UPDATE county_rl_b.\(table) SET ctid = ctid",
                "DELETE FROM county_rl_b.\(table)",
            ]
        }
        probes += [
            "UPDATE county_rl_a.audit_log SET actor = 'forged'", "DELETE FROM county_rl_a.audit_log", "TRUNCATE county_rl_a.audit_log",
            "ALTER TABLE county_rl_a.audit_log DISABLE ROW LEVEL SECURITY", "DROP TABLE county_rl_a.audit_log",
            "INSERT INTO tongxin.job (queue, kind, county, args, run_at, fair_at) VALUES ('default', 'noop', 'rl_b', '{}', now(), now())",
            "DELETE FROM tongxin.job", "SELECT * FROM tongxin.notification LIMIT 1",
        ]
        let before = try await harness.checksum(database)
        /// Runs each statement as a's staff; counts those refused with permission denied.
        func refusals(_ statements: [String], _ label: String, on c: PostgresConnection) async -> Int {
            var refused = 0
            for statement in statements {
                outcome.runs += 1
                do {
                    try await c.executeUnsafeScript(statement)
                    outcome.findings.append("allowed\(label): \(statement)")
                } catch let error as PostgresError where error.sqlState?.rawValue == "42501" {
                    refused += 1
                } catch {
                    outcome.findings.append("\(statement)\(label): \(error)")
                }
            }
            return refused
        }
        var refused = 0
        try await PostgresConnection.withConnection(configuration: staff) { c in
            refused = await refusals(probes, "", on: c)
            // b's jobs are not even visible; a's are.
            let (theirs, ours) = try await c.query("SELECT count(*) FILTER (WHERE county = 'rl_b'), count(*) FILTER (WHERE county = 'rl_a') FROM tongxin.job")
                .single().decode((Int, Int).self)
            outcome.runs += 1
            if theirs != 0 { outcome.findings.append("\(theirs) of county b's jobs are visible to a's staff") }
            if ours == 0 { outcome.findings.append("a's staff sees none of a's jobs") }
        }
        if try await harness.checksum(database) != before {
            outcome.partialWrites += 1
            outcome.findings.append("a refused statement changed the database")
        }

        // The same with USAGE on b's schema granted on purpose: the probes above stop at the
        // schema; these prove the table grants hold by themselves (SELECT, INSERT, UPDATE of a
        // plain column, DELETE and TRUNCATE of every table of b).
        let columns = try await harness.withConnection(database) { c in
            try await c.query("""
                SELECT DISTINCT ON (table_name) table_name::text, column_name::text FROM information_schema.columns
                WHERE table_schema = 'county_rl_b' AND is_identity = 'NO' AND is_generated = 'NEVER'
                ORDER BY table_name, ordinal_position
                """).decode((String, String).self)
        }
        var tableProbes: [String] = []
        for (table, column) in columns {
            tableProbes += [
                "SELECT * FROM county_rl_b.\(table) LIMIT 1",
                "INSERT INTO county_rl_b.\(table) DEFAULT VALUES",
                "UPDATE county_rl_b.\(table) SET \(column) = \(column)",
                "DELETE FROM county_rl_b.\(table)",
                "TRUNCATE county_rl_b.\(table)",
            ]
        }
        _ = try await harness.withConnection(database) { c in try await c.executeUnsafeScript("GRANT USAGE ON SCHEMA county_rl_b TO chaos_staff") }
        var refusedByTables = 0
        try await PostgresConnection.withConnection(configuration: staff) { c in
            refusedByTables = await refusals(tableProbes, " (with USAGE)", on: c)
        }
        _ = try await harness.withConnection(database) { c in try await c.executeUnsafeScript("REVOKE USAGE ON SCHEMA county_rl_b FROM chaos_staff") }
        if try await harness.checksum(database) != before {
            outcome.partialWrites += 1
            outcome.findings.append("a statement refused by the table grants changed the database")
        }

        // The CLI: every staff command with --county rl_b is refused in one line.
        var refusedCommands = 0
        let csv = harness.scratch + "/roles.csv"
        try "name\n名字\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let proposalsCSV = harness.scratch + "/roles-proposals.csv"
        try "title,category,kind,lead\n标题,社会民生,individual,名字\n".write(toFile: proposalsCSV, atomically: true, encoding: .utf8)
        let commands = try await BadInput.commands(harness).filter { command in
            // The workflow's commands (they act in a county as an account); accounts are the operator's.
            command.path.first != "account" && command.arguments.contains { $0.name == "county" } && command.arguments.contains { $0.name == "as" }
        }
        for command in commands {
            var arguments = command.path + ["--county", "rl_b"]
            // Give what each command needs to get past its own checks (positional ids, files).
            for argument in command.arguments where argument.kind == "positional" {
                switch argument.name {
                case "file": arguments.append(command.path.last == "proposals" ? proposalsCSV : csv)
                case "day": arguments.append("2021-05-01")
                case "kind": arguments.append("holiday")
                case "name": arguments.append("名字")
                default: arguments.append(command.path.first == "suggestion" ? "W2021-001" : "2021-001")
                }
            }
            if command.arguments.contains(where: { $0.name == "profile" }) { arguments += ["--profile", "leiyang"] }
            if command.path == ["proposal", "review"] { arguments.append("--register") }
            for option in command.required { arguments += ["--" + option, requiredValue(option, command.path)] }
            let run = try await harness.tongxin(arguments, database: nil, environment: ["DATABASE_URL": staffURL])
            outcome.runs += 1
            if run.trapped { outcome.traps += 1 }
            if run.status == 0 {
                outcome.findings.append("\(command.path.joined(separator: " ")) --county rl_b succeeded as a's staff")
            } else if run.errorLines.count == 1,
                      run.stderr.contains("may not use this county") || run.stderr.contains("the account does not belong to county rl_b") {
                refusedCommands += 1
            } else {
                outcome.findings.append("\(command.path.joined(separator: " ")) --county rl_b was not refused for the county: \(run.stderr.prefix(200))")
            }
        }
        if try await harness.checksum(database) != before {
            outcome.partialWrites += 1
            outcome.findings.append("a refused command changed the database")
        }
        outcome.notes = [
            "\(probes.count) statements as a's staff against b's \(tables.count) tables, a's audit log and the queue: \(refused) refused with permission denied",
            "\(tableProbes.count) statements against b's \(columns.count) tables with USAGE on b's schema granted on purpose: \(refusedByTables) refused by the table grants alone",
            "\(commands.count) staff commands with --county rl_b: \(refusedCommands) refused in one line (the county's grants or the account's county)",
        ]
        return outcome
    }

    /// A value that gets a required option past its own checks.
    static func requiredValue(_ option: String, _ path: [String]) -> String {
        switch option {
        case "title": "标题"
        case "category": path == ["proposal", "file"] ? "社会民生" : "A"
        case "kind": path.first == "activity" ? "online-event" : path.last == "supervise" ? "meeting" : "individual"
        case "lead", "member": "名字"
        case "unit": "单位"
        case "rating": "satisfied"
        case "text", "reason", "outcome", "note", "supervisor", "name": "文字"
        case "year": "2021"
        case "on", "held-on", "opened-on": "2021-05-01"
        case "until", "closed-on": "2021-06-30"
        case "to": "/tmp/tongxin-chaos-roles-bundle.json"
        default: "1"
        }
    }
}

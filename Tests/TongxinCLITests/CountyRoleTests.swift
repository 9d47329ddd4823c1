import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase

/// County roles (docs/operations.md, "County roles"): a staff login granted one county's role
/// works in that county through every staff command, and is refused everything else by
/// PostgreSQL itself. The operator here is no superuser: a login with CREATEROLE that owns the
/// database, as the docs set it up.
///
/// Roles belong to the server, which the tests' databases share: these tests use county codes
/// and login names of their own.
@Suite struct CountyRoleTests {
    /// The connection string of `configuration`'s database as `user`.
    static func url(_ configuration: PostgresConfiguration, as user: String) -> String {
        Programs.url(configuration) + " user=\(user)"
    }

    /// A connection to `configuration`'s database as `user`, for `body`.
    @discardableResult
    static func connected<R: Sendable>(
        _ configuration: PostgresConfiguration, as user: String, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: url(configuration, as: user)), body)
    }

    /// Runs `tongxin` connected as `user`, acting in `county`.
    func tongxin(_ arguments: [String], _ configuration: PostgresConfiguration, as user: String, county: String? = nil) async throws -> Programs.Outcome {
        var environment = ["DATABASE_URL": Self.url(configuration, as: user), "USER": "staff-user"]
        if let county { environment["TONGXIN_COUNTY"] = county }
        return try await Programs.run("tongxin", arguments, environment: environment)
    }

    /// Runs each command, failing the test on a non-zero exit.
    func succeed(_ configuration: PostgresConfiguration, as user: String, county: String? = nil, _ commands: [[String]]) async throws {
        for command in commands {
            let outcome = try await tongxin(command, configuration, as: user, county: county)
            try #require(outcome.status == 0, "\(user) \(command): \(outcome.output)")
        }
    }

    /// Makes `operator` (LOGIN CREATEROLE, no superuser) the owner of `configuration`'s
    /// database, as a superuser would set up a deployment.
    static func makeOperator(_ name: String, owning configuration: PostgresConfiguration) async throws {
        try await PostgresConnection.withConnection(configuration: try TestDatabase.serverConfiguration()) { admin in
            try await admin.withTransaction { tx in
                // Tests run in parallel and roles are the server's: one at a time makes them here.
                // The control schema's own migration (0005) creates tongxin_staff too, in other
                // tests' databases and without this lock: a role that appears meanwhile is fine.
                try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('tongxin.test.county-roles', 0))")
                try await tx.executeUnsafeScript("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(name)') THEN
                        CREATE ROLE \(name) LOGIN CREATEROLE;
                      END IF;
                    END $$;
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tongxin_staff') THEN
                        CREATE ROLE tongxin_staff NOLOGIN;
                      END IF;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END $$;
                    GRANT tongxin_staff TO \(name) WITH ADMIN OPTION;
                    ALTER DATABASE \(configuration.database ?? "") OWNER TO \(name);
                    """)
            }
        }
    }

    /// The SQLSTATE `sql` fails with on `connection`, nil when it succeeds.
    func sqlState(_ sql: String, on connection: PostgresConnection) async -> String? {
        do {
            try await connection.executeUnsafeScript(sql)
            return nil
        } catch let error as PostgresError {
            return error.sqlState?.rawValue ?? "\(error)"
        } catch {
            return "\(error)"
        }
    }

    static let reference = reference(year: 2021)

    /// The reference data, with a session of `year`.
    static func reference(year: Int) -> [[String]] {
        [
        ["sector", "add", "经济界"],
        ["member", "add", "王委员", "--sector", "经济界"],
        ["member", "add", "欧阳委员", "--sector", "经济界"],
        ["unit", "add", "城管局"],
        ["unit", "add", "林业局"],
        ["session", "open", "--year", "\(year)", "--name", "十届七次会议", "--opened-on", "\(year)-01-10", "--closed-on", "\(year)-01-14"],
        ]
    }

    @Test func aStaffLoginWorksInItsCountyAndPostgreSQLRefusesItEverythingElse() async throws {
        try await TestDatabase.withDatabase { configuration in
            let op = "roles_operator"
            try await Self.makeOperator(op, owning: configuration)
            let created = try await tongxin(["county", "create", "roles_a", "--name", "甲县"], configuration, as: op)
            #expect(created.lines == ["created county roles_a (甲县) in schema county_roles_a, role tongxin_county_roles_a"], "\(created.output)")
            try await succeed(configuration, as: op, [["county", "create", "roles_b", "--name", "乙县", "--purpose", "training"]])
            // County b (a training county) has data and a clock of its own, replayed in 2021 by the operator.
            try await succeed(configuration, as: op, county: "roles_b", Self.reference + [
                ["proposal", "file", "--title", "乙县的建议", "--category", "economy", "--lead", "王委员", "--as-of", "2021-01-11"],
                ["proposal", "review", "2021-001", "--register", "--as-of", "2021-01-20"],
                ["proposal", "assign", "2021-001", "--lead", "城管局", "--as-of", "2021-01-25"],
            ])
            // The operator makes a staff login as the docs say.
            try await Self.connected(configuration, as: op) { owner in
                try await owner.executeUnsafeScript("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'staff_a') THEN CREATE ROLE staff_a LOGIN; END IF;
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'staff_none') THEN CREATE ROLE staff_none LOGIN; END IF;
                    END $$;
                    GRANT tongxin_county_roles_a TO staff_a;
                    """)
                // …and the account staff_a acts as: a staff account of county a.
                try await succeed(configuration, as: op, [["account", "add", "staff.a", "--role", "staff", "--county", "roles_a", "--db-login", "staff_a"]])
                // County a is live: staff_a's steps happen now, by the server's clock.
                let today = LocalTime.day(of: Date())
                let y = today.year
                func count(_ sql: String) async throws -> Int {
                    try await owner.query(PostgresQuery(unsafeSQL: sql)).single().decode(Int.self)
                }
                func jobStates(_ county: String, _ kind: String) async throws -> [String] {
                    try await owner.query("SELECT state FROM tongxin.job WHERE county = \(county) AND kind = \(kind) ORDER BY id").decode(String.self)
                }
                #expect(try await jobStates("roles_b", "deadline.watch") == ["available"])

                // Every staff command, as staff_a in county a.
                try await succeed(configuration, as: "staff_a", county: "roles_a", Self.reference(year: y))
                let filed = try await tongxin([
                    "proposal", "file", "--title", "关于规范城区物业管理的建议", "--category", "社会民生", "--kind", "joint",
                    "--lead", "王委员", "--co", "欧阳委员",
                ], configuration, as: "staff_a", county: "roles_a")
                #expect(filed.lines == ["filed \(y)-001 关于规范城区物业管理的建议"], "\(filed.output)")
                try await succeed(configuration, as: "staff_a", county: "roles_a", [
                    ["proposal", "review", "\(y)-001", "--register"],
                    ["proposal", "assign", "\(y)-001", "--lead", "城管局", "--co", "林业局"],
                ])
                // The clocks staff_a's steps enqueued are in the queue, for the worker.
                #expect(try await jobStates("roles_a", "deadline.watch") == ["available"])
                #expect(try await jobStates("roles_a", "opinion.watch") == ["available"])
                // The worker, as the operator (the tables' owner), runs both counties' clocks.
                let worker = try await Programs.run(
                    "tongxin-worker", ["--drain", "--as-of", try today.adding(days: 80).description, "--log-level", "error"],
                    environment: ["DATABASE_URL": Self.url(configuration, as: op)])
                #expect(worker.status == 0, "\(worker.output)")
                #expect(try await owner.query("""
                    SELECT county, kind FROM tongxin.notification WHERE kind = 'deadline.remind' ORDER BY county
                    """).decode((String, String).self).map(\.0).reduce(into: Set<String>()) { $0.insert($1) } == ["roles_a", "roles_b"])
                #expect(try await jobStates("roles_a", "deadline.watch") == ["available"])

                try await succeed(configuration, as: "staff_a", county: "roles_a", [
                    // A unit's reply and the members' ratings are theirs: staff enter them from paper.
                    ["proposal", "reply", "\(y)-001", "--unit", "城管局", "--category", "A", "--text", "已出台管理办法", "--on-behalf", "--note", "纸质复文"],
                ])
                #expect(try await jobStates("roles_a", "deadline.watch") == ["cancelled"])
                #expect(try await jobStates("roles_a", "evaluation.watch") == ["available"])
                try await succeed(configuration, as: "staff_a", county: "roles_a", [
                    ["proposal", "evaluate", "\(y)-001", "--member", "王委员", "--rating", "满意", "--on-behalf", "--note", "纸质征询意见表"],
                    ["proposal", "evaluate", "\(y)-001", "--member", "欧阳委员", "--rating", "满意", "--on-behalf", "--note", "纸质征询意见表"],
                    ["suggestion", "file", "--member", "王委员", "--title", "路灯维修"],
                    ["suggestion", "route", "W\(y)-001", "--unit", "城管局"],
                    ["activity", "add", "--kind", "online-event", "--member", "王委员"],
                ])
                #expect(try await jobStates("roles_a", "evaluation.watch") == ["cancelled"])
                #expect(try await jobStates("roles_a", "suggestion.watch") == ["available"])
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-roles-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let csv = folder.appendingPathComponent("proposals.csv")
                try Data("title,category,kind,lead,co_authors,filed_at\n关于A的建议,economy,individual,王委员,,\(today)\n".utf8).write(to: csv)
                let imported = try await tongxin(["import", "proposals", csv.path], configuration, as: "staff_a", county: "roles_a")
                #expect(imported.lines == ["imported 1 proposals from \(csv.path)"], "\(imported.output)")
                let shown = try await tongxin(["proposal", "show", "\(y)-001", "--format", "json"], configuration, as: "staff_a", county: "roles_a")
                let json = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
                #expect(json?["status"] as? String == "closed", "\(shown.output)")
                let verified = try await tongxin(["audit", "verify"], configuration, as: "staff_a", county: "roles_a")
                let entries = try await count("SELECT count(*) FROM county_roles_a.audit_log")
                #expect(entries > 10)
                #expect(verified.lines == ["audit log intact: \(entries) entries"], "\(verified.output)")
                let log = try await tongxin(["audit", "log", "--proposal", "\(y)-001", "--format", "json"], configuration, as: "staff_a", county: "roles_a")
                let logged = try JSONSerialization.jsonObject(with: Data(log.output.utf8)) as? [[String: Any]]
                #expect(logged?.compactMap { $0["action"] as? String } == ["file", "register", "assign", "reply", "evaluate", "evaluate"], "\(log.output)")
                let annual = try await tongxin(["report", "annual", "--year", "\(y)", "--format", "json"], configuration, as: "staff_a", county: "roles_a")
                let figures = try JSONSerialization.jsonObject(with: Data(annual.output.utf8)) as? [String: Any]
                #expect(figures?["filed"] as? Int == 2, "\(annual.output)")
                let units = try await tongxin(["report", "units", "--year", "\(y)", "--format", "csv"], configuration, as: "staff_a", county: "roles_a")
                #expect(units.status == 0 && units.output.contains("城管局"), "\(units.output)")
                let compared = try await tongxin(["report", "compare", "--year", "\(y)", "--format", "csv"], configuration, as: "staff_a")
                #expect(compared.status == 0, "\(compared.output)")

                // PostgreSQL itself refuses staff_a everything else.
                let bJobs = try await count("SELECT count(*) FROM tongxin.job WHERE county = 'roles_b'")
                #expect(bJobs > 0)
                try await Self.connected(configuration, as: "staff_a") { staff in
                    #expect(try await staff.query("SELECT current_user::text").single().decode(String.self) == "staff_a")
                    let refusedStatements = [
                        // Another county's schema, to read or to write.
                        "SELECT count(*) FROM county_roles_b.proposal",
                        "SELECT * FROM county_roles_b.audit_log",
                        "INSERT INTO county_roles_b.sector (name) VALUES ('入侵')",
                        "UPDATE county_roles_b.proposal SET title = 'x'",
                        "DELETE FROM county_roles_b.member",
                        // Its own audit log is append-only; the chain's head only moves; the history is read-only.
                        "UPDATE county_roles_a.audit_log SET actor = 'x'",
                        "DELETE FROM county_roles_a.audit_log",
                        "TRUNCATE county_roles_a.audit_log",
                        "DELETE FROM county_roles_a.audit_head",
                        "UPDATE county_roles_a.schema_history SET checksum = 'x'",
                        // Another county's jobs cannot be made; no job can be deleted; the outbox and keys are the operator's.
                        "INSERT INTO tongxin.job (kind, county, run_at, fair_at) VALUES ('noop', 'roles_b', now(), now())",
                        "INSERT INTO tongxin.job_fairness (county, next_at) VALUES ('roles_b', now())",
                        "DELETE FROM tongxin.job",
                        "TRUNCATE tongxin.job",
                        "SELECT count(*) FROM tongxin.notification",
                        "SELECT count(*) FROM tongxin.exchange_trust",
                        // Accounts, sessions and sign-ins are the operator's (a login reads only its own account, through my_account()).
                        "SELECT password_hash FROM tongxin.account",
                        "SELECT * FROM tongxin.account_session",
                        "UPDATE tongxin.account SET role = 'operator'",
                        "UPDATE tongxin.county SET status = 'archived'",
                    ]
                    for sql in refusedStatements {
                        #expect(await sqlState(sql, on: staff) == "42501", "\(sql)")
                    }
                    // What it may do in its own county.
                    #expect(try await staff.query("SELECT count(*) FROM county_roles_a.audit_log").single().decode(Int.self) == entries)
                    #expect(try await staff.query("SELECT count(*) FROM county_roles_a.proposal").single().decode(Int.self) == 2)
                    // b's jobs are invisible to staff_a and untouched by its updates.
                    #expect(try await staff.query("SELECT count(*) FROM tongxin.job WHERE county = 'roles_b'").single().decode(Int.self) == 0)
                    #expect(try await staff.query("SELECT DISTINCT county FROM tongxin.job").decode(String.self) == ["roles_a"])
                    let bStates = try await jobStates("roles_b", "deadline.watch")
                    let changed = try await staff.query("UPDATE tongxin.job SET state = 'cancelled' WHERE county = 'roles_b' OR county IS NULL").affectedRows
                    #expect(changed == 0)
                    #expect(try await count("SELECT count(*) FROM tongxin.job WHERE county = 'roles_b'") == bJobs)
                    #expect(try await jobStates("roles_b", "deadline.watch") == bStates && !bStates.contains("cancelled"))
                }

                // The CLI refuses county b for staff_a (and any county for a login granted none) with
                // one line, and writes nothing.
                let before = try await count("""
                    SELECT (SELECT count(*) FROM county_roles_b.proposal) * 1000000 + (SELECT count(*) FROM county_roles_b.audit_log) * 1000
                           + (SELECT count(*) FROM county_roles_b.sector)
                    """)
                let attempts: [[String]] = [
                    ["proposal", "file", "--title", "越权的建议", "--category", "economy", "--lead", "王委员"],
                    ["proposal", "review", "2021-001", "--decline", "other"],
                    ["proposal", "reply", "2021-001", "--unit", "城管局", "--category", "A", "--text", "x"],
                    ["sector", "add", "越权界"],
                    ["suggestion", "file", "--member", "王委员", "--title", "x"],
                    ["activity", "add", "--kind", "online-event"],
                    ["import", "proposals", csv.path],
                    ["proposal", "show", "2021-001"],
                    ["proposal", "list"],
                    ["audit", "verify"],
                    ["audit", "log"],
                    ["report", "annual", "--year", "2021"],
                    ["report", "units", "--year", "2021"],
                ]
                for arguments in attempts {
                    let viaOption = try await tongxin(arguments + ["--county", "roles_b"], configuration, as: "staff_a", county: "roles_a")
                    #expect(viaOption.status == 1, "\(arguments): \(viaOption.output)")
                    // The account's county refuses it before PostgreSQL's grants are asked.
                    #expect(viaOption.lines == ["tongxin: county roles_b: role staff_a may not use this county (grant it tongxin_county_roles_b)"]
                            || viaOption.lines == ["tongxin: not allowed: staff.a (staff) may not act in county roles_b: the account does not belong to county roles_b"],
                            "\(arguments): \(viaOption.output)")
                }
                let viaEnvironment = try await tongxin(["sector", "add", "越权界"], configuration, as: "staff_a", county: "roles_b")
                #expect(viaEnvironment.status == 1)
                #expect(viaEnvironment.lines == ["tongxin: not allowed: staff.a (staff) may not act in county roles_b: the account does not belong to county roles_b"],
                        "\(viaEnvironment.output)")
                let ungranted = try await tongxin(["proposal", "list"], configuration, as: "staff_none", county: "roles_a")
                #expect(ungranted.status == 1)
                #expect(ungranted.lines == ["tongxin: not allowed: PostgreSQL login staff_none acts as no account (an operator links one: tongxin account grant LOGIN --db-login staff_none)"],
                        "\(ungranted.output)")
                let after = try await count("""
                    SELECT (SELECT count(*) FROM county_roles_b.proposal) * 1000000 + (SELECT count(*) FROM county_roles_b.audit_log) * 1000
                           + (SELECT count(*) FROM county_roles_b.sector)
                    """)
                #expect(after == before)
                #expect(try await count("SELECT count(*) FROM tongxin.job WHERE county = 'roles_b'") == bJobs)
            }
        }
    }

    @Test func aNewCountyMigrationGrantsItsTablesToTheCountyRoleAndKeepsTheAuditLogAppendOnly() async throws {
        try await TestDatabase.withDatabase { configuration in
            let op = "roles_operator"
            try await Self.makeOperator(op, owning: configuration)
            try await succeed(configuration, as: op, [["county", "create", "roles_m", "--name", "丙县"]])
            try await Self.connected(configuration, as: op) { owner in
                try await owner.executeUnsafeScript("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'staff_m') THEN CREATE ROLE staff_m LOGIN; END IF;
                    END $$;
                    GRANT tongxin_county_roles_m TO staff_m;
                    """)
            }
            let note = """
                CREATE TABLE note (id bigint PRIMARY KEY DEFAULT nextval('id_seq'), text text NOT NULL);
                CREATE SEQUENCE note_number;
                """
            try await withMigrationsFolder(extra: ["0900_note.sql": note]) { folder in
                let up = try await tongxin(["migrate", "up", "--all", "--migrations", folder], configuration, as: op)
                #expect(up.status == 0, "\(up.output)")
                #expect(up.output.contains("roles_m: applied 0900_note.sql"), "\(up.output)")
            }
            try await Self.connected(configuration, as: "staff_m") { staff in
                try await staff.executeUnsafeScript("INSERT INTO county_roles_m.note (text) VALUES ('新表')")
                #expect(try await staff.query("SELECT text FROM county_roles_m.note").decode(String.self) == ["新表"])
                #expect(try await staff.query("UPDATE county_roles_m.note SET text = '改'").affectedRows == 1)
                #expect(try await staff.query("SELECT nextval('county_roles_m.note_number')").single().decode(Int.self) == 1)
                #expect(await sqlState("UPDATE county_roles_m.audit_log SET actor = 'x'", on: staff) == "42501")
                #expect(await sqlState("DELETE FROM county_roles_m.audit_log", on: staff) == "42501")
                #expect(await sqlState("TRUNCATE county_roles_m.note", on: staff) == "42501")
                // The new migration's history row is the operator's.
                #expect(await sqlState("DELETE FROM county_roles_m.schema_history WHERE version = 900", on: staff) == "42501")
            }
        }
    }
}

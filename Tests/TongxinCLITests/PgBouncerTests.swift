import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// Tongxin behind a real pgbouncer (Debian's package) in transaction mode, started in front of
/// the throwaway server: every statement of a transaction may reach another server connection
/// than the one before, so nothing may rely on session state.
@Suite(.serialized) struct PgBouncerTests {
    /// A fresh database on the throwaway server, and a pgbouncer in front of it for `body`.
    func withBouncer(
        poolMode: String = "transaction", settings: [String: String] = [:],
        _ body: (_ direct: PostgresConfiguration, _ pooled: PostgresConfiguration) async throws -> Void
    ) async throws {
        let server = try EmbeddedPostgres.shared()
        let bouncer = try EmbeddedPgBouncer.start(for: server, poolMode: poolMode, poolSize: 4, settings: settings)
        defer { bouncer.stop() }
        let admin = PostgresConfiguration(connectionString: server.connectionString(database: "postgres"))
        let name = "b_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await PostgresConnection.withConnection(configuration: admin) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
        do {
            try await body(PostgresConfiguration(connectionString: server.connectionString(database: name)),
                           PostgresConfiguration(connectionString: bouncer.connectionString(database: name)))
        } catch {
            Issue.record("pgbouncer log: \(bouncer.log.suffix(2000))")
            throw error
        }
        try await PostgresConnection.withConnection(configuration: admin) {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    func tongxin(_ arguments: [String], _ configuration: PostgresConfiguration, county: String = "leiyang") async throws -> Programs.Outcome {
        try await Programs.run("tongxin", arguments, environment: [
            "DATABASE_URL": Programs.url(configuration), "TONGXIN_COUNTY": county, "USER": "staff-user",
        ])
    }

    func succeed(_ arguments: [String], _ configuration: PostgresConfiguration, county: String = "leiyang") async throws -> [String] {
        let outcome = try await tongxin(arguments, configuration, county: county)
        try #require(outcome.status == 0, "\(arguments.joined(separator: " ")): \(outcome.output)")
        return outcome.lines
    }

    @Test func theConnectionKnowsItGoesThroughAPoolerAndUsesNoStatementNames() async throws {
        try await withBouncer { direct, pooled in
            let plain = try await PostgresConnection.connect(configuration: direct)
            #expect(!plain.isPooled)
            await plain.close()
            // Several clients, many distinct statements, each transaction on any server connection:
            // named statements would collide ("prepared statement tx_1 already exists") or be missing.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        let connection = try await PostgresConnection.connect(configuration: pooled)
                        defer { Task { await connection.close() } }
                        #expect(connection.isPooled)
                        for i in 0..<50 {
                            let n = try await connection.query("SELECT \(i)::int + \(client)::int AS n, \(i % 3) AS k").single().decode((Int, Int).self)
                            #expect(n.0 == i + client)
                            try await connection.withTransaction { tx in
                                _ = try await tx.pipeline(["SELECT \(i)::int", "SELECT 'x' || \(String(client))"])
                            }
                        }
                        // The server's default IntervalStyle (postgres) is read as well as iso_8601.
                        let interval = try await connection.query("SELECT interval '1 day 02:03:04.5'").single().decode(Duration.self)
                        #expect(interval == .seconds(86_400 + 7_384) + .milliseconds(500))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// `statement_cache=on` through the pooler: pgbouncer 1.21 and later keeps protocol-level
    /// prepared statements, so named statements work through it; an older one (Debian 12's 1.18)
    /// mixes them up between clients, which is why a pooled connection uses none by itself.
    @Test func namedStatementsThroughThePoolerWorkOnlyWhenItKeepsThem() async throws {
        let keeps = EmbeddedPgBouncer.keepsPreparedStatements
        let version = EmbeddedPgBouncer.version()?.line ?? "no pgbouncer"
        try await withBouncer(settings: keeps ? ["max_prepared_statements": "200"] : [:]) { _, pooled in
            let on = PostgresConfiguration(connectionString: try #require(pooled.connectionString) + " statement_cache=on")
            // Eight clients on four server connections: each client's first statement is named
            // tx_1, so two of them meet on one server connection.
            let failures = try await withThrowingTaskGroup(of: [String].self) { group in
                for client in 0..<8 {
                    group.addTask {
                        let connection = try await PostgresConnection.connect(configuration: on)
                        defer { Task { await connection.close() } }
                        var failures: [String] = []
                        for i in 0..<40 {
                            // A wrong answer counts as a failure: through an old pooler a name may
                            // reach another client's statement.
                            do {
                                let n = try await connection.query("SELECT \(i)::int + \(client)::int AS n, \(i % 5) AS k").single().decode((Int, Int).self)
                                if n != (i + client, i % 5) { failures.append("wrong answer \(n) for \(i) + \(client)") }
                                try await connection.withTransaction { tx in
                                    let rows = try await tx.pipeline(["SELECT \(i)::int", "SELECT 'x' || \(String(client))"])
                                    let x = try rows[1].single().decode(String.self)
                                    if x != "x\(client)" { failures.append("wrong answer \(x) for client \(client)") }
                                }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                        return failures
                    }
                }
                var all: [String] = []
                for try await failures in group { all += failures }
                return all
            }
            if keeps {
                #expect(failures.isEmpty, "\(version): \(failures.prefix(3))")
                // The pooler keeps every name a client sent, even one whose statement failed, and
                // cannot be told to forget one: the cache gives out its four names and runs the
                // rest unnamed, and every statement still answers.
                var small = PostgresConfiguration(connectionString: try #require(on.connectionString) + " application_name=small_cache statement_cache=on")
                small.statementCacheCapacity = 4
                let connection = try await PostgresConnection.connect(configuration: small)
                defer { Task { await connection.close() } }
                for bad in 0..<2 {
                    await #expect(throws: PostgresError.self) { try await connection.query(PostgresQuery(unsafeSQL: "SELEC \(bad)")) }
                }
                // A statement after a failed one in the same transaction is never prepared either.
                await #expect(throws: PostgresError.self) {
                    try await connection.withTransaction { tx in
                        _ = try await tx.pipeline([PostgresQuery(unsafeSQL: "SELECT 1/0"), PostgresQuery(unsafeSQL: "SELECT 'after the failure'")])
                    }
                }
                for round in 0..<2 {
                    for i in 0..<10 {
                        let value = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(i) AS distinct_\(i), \(round)")).single().decode((Int, Int).self)
                        #expect(value == (i, round))
                    }
                }
                #expect(try await connection.cachedStatementCount <= 4)
                // pgbouncer holds four names for the client, not one for every statement it evicted.
                #expect(try preparedThroughBouncer(pooled, application: "small_cache") == 4)
            } else {
                print("""
                    PgBouncerTests: \(version) keeps no prepared statements, so statement_cache=on through it was checked \
                    to fail; the part for pgbouncer ≥ 1.21 did NOT run (TONGXIN_PGBOUNCER=/path/to/pgbouncer swift test --filter PgBouncerTests)
                    """)
                #expect(!failures.isEmpty, "\(version) kept named statements apart after all")
                // The names collide ("prepared statement \"tx_2\" already exists"; the transaction it
                // was in is then aborted too), and a name may run another client's statement.
                #expect(failures.contains { $0.contains("prepared statement") }, "\(version): \(failures.prefix(3))")
            }
        }
    }

    /// How many prepared statements pgbouncer holds for the client named `application`
    /// (`SHOW CLIENTS` on its admin console, through psql: the console speaks only the simple
    /// query protocol).
    func preparedThroughBouncer(_ pooled: PostgresConfiguration, application: String) throws -> Int? {
        let admin = try #require(pooled.connectionString)
            .replacingOccurrences(of: #"dbname=\S+"#, with: "dbname=pgbouncer", options: .regularExpression)
        let psql = try EmbeddedPostgres.shared().binDirectory + "/psql"
        let shown = try EmbeddedPostgres.capture(psql, [admin, "-X", "-A", "-F", "\t", "-c", "SHOW CLIENTS"])
        try #require(shown.status == 0, "\(shown.output)")
        let rows = shown.output.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = rows.first, let name = header.firstIndex(of: "application_name"),
            let count = header.firstIndex(of: "prepared_statements")
        else { return nil }
        return rows.dropFirst().first { $0.count == header.count && $0[name] == application }.flatMap { Int($0[count]) }
    }

    @Test func statementCacheOffInTheConnectionStringOrTheEnvironment() async throws {
        try await withBouncer { direct, _ in
            let text = try #require(direct.connectionString)
            let off = PostgresConfiguration(connectionString: text + " statement_cache=off")
            #expect(off.statementCache == .off)
            #expect(off.connectionString?.contains("statement_cache") == false)
            let connection = try await PostgresConnection.connect(configuration: off)
            #expect(connection.isPooled)
            _ = try await connection.query("SELECT \(1)::int")
            let named = try await connection.query("SELECT count(*) FROM pg_prepared_statements").single().decode(Int.self)
            #expect(named == 0)
            await connection.close()
            let uri = PostgresConfiguration(connectionString: "postgresql://u@h/db?sslmode=disable&statement_cache=on", environment: [:])
            #expect(uri.statementCache == .on)
            #expect(uri.connectionString == "postgresql://u@h/db?sslmode=disable")
            let environment = PostgresConfiguration(connectionString: text, environment: ["TONGXIN_STATEMENT_CACHE": "off"])
            #expect(environment.statementCache == .off)
            let wrong = PostgresConfiguration(connectionString: text, environment: ["TONGXIN_STATEMENT_CACHE": "sometimes"])
            let error = await thrownError { _ = try await PostgresConnection.connect(configuration: wrong) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("statement_cache: \"sometimes\" is none of on, off, auto"))
        }
    }

    @Test func theWorkflowImportsReportsAndMigrationsRunThroughPgBouncer() async throws {
        try await withBouncer { direct, pooled in
            _ = try await succeed(["county", "create", "leiyang", "--name", "耒阳市", "--purpose", "training"], pooled)
            _ = try await succeed(["county", "create", "changning", "--name", "常宁市", "--purpose", "training"], pooled)
            let migrated = try await succeed(["migrate", "up", "--all", "--jobs", "2"], pooled)
            #expect(migrated.last == "counties: 2 done, 0 changed, 0 failed, 0 not started", "\(migrated)")
            for command in WorkflowProgramTests.reference.dropFirst() {
                _ = try await succeed(command, pooled)
            }
            let csv = FileManager.default.temporaryDirectory.appendingPathComponent("members-\(UUID().uuidString).csv")
            try Data("\u{FEFF}name,sector\n李委员,经济界\n赵委员,经济界\n".utf8).write(to: csv)
            defer { try? FileManager.default.removeItem(at: csv) }
            #expect(try await succeed(["import", "members", csv.path], pooled) == ["imported 2 members from \(csv.path)"])
            #expect(try await succeed([
                "proposal", "file", "--title", "关于规范城区物业管理的建议", "--category", "社会民生", "--kind", "joint",
                "--lead", "王委员", "--co", "李委员", "--as-of", "2021-01-11T10:00",
            ], pooled) == ["filed 2021-001 关于规范城区物业管理的建议"])
            for command in [
                ["proposal", "review", "2021-001", "--register", "--as-of", "2021-01-20"],
                ["proposal", "assign", "2021-001", "--lead", "城管局", "--co", "林业局", "--as-of", "2021-01-25"],
                ["proposal", "reply", "2021-001", "--unit", "城管局", "--category", "B", "--text", "已列入计划", "--as-of", "2021-03-01T09:30"],
                ["proposal", "evaluate", "2021-001", "--member", "王委员", "--rating", "满意", "--as-of", "2021-03-05"],
                ["proposal", "evaluate", "2021-001", "--member", "李委员", "--rating", "basic", "--as-of", "2021-03-06"],
            ] {
                _ = try await succeed(command, pooled)
            }
            let refused = try await tongxin(["proposal", "evaluate", "2021-001", "--member", "王委员", "--rating", "满意"], pooled)
            #expect(refused.status == 1)
            #expect(refused.lines.count == 1)
            let shown = try await succeed(["proposal", "show", "2021-001", "--format", "json"], pooled)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.joined(separator: "\n").utf8)) as? [String: Any])
            #expect(json["status"] as? String == "closed")
            let report = try await succeed(["report", "annual", "--year", "2021", "--format", "json"], pooled)
            #expect(!report.isEmpty)
            #expect(try await succeed(["audit", "verify"], pooled).first?.hasPrefix("audit log intact") == true)
            // The other county, through the same pooled server connections.
            _ = try await succeed(["sector", "add", "农业界"], pooled, county: "changning")
            #expect(try await succeed(["sector", "list", "--format", "csv"], pooled, county: "changning").joined().contains("农业界"))
            // Dropping it, with what the control schema keeps under its code, through the pooler too.
            _ = try await succeed(["account", "add", "cn.staff", "--role", "staff", "--county", "changning"], pooled)
            _ = try await succeed(["county", "archive", "changning"], pooled)
            func queued() async throws -> Int {
                try await PostgresConnection.withConnection(configuration: direct) {
                    try await $0.query("SELECT count(*)::int FROM tongxin.job WHERE county = 'changning' AND state = 'available'").single().decode(Int.self)
                }
            }
            _ = try await succeed(["jobs", "enqueue", "noop", "--count", "3", "--county", "changning", "--run-at", "2099-01-01T09:00"], pooled)
            let waiting = try await queued()
            #expect(waiting >= 3)
            let dropped = try await succeed(["county", "drop", "changning", "--confirm", "changning"], pooled)
            #expect(dropped.count == 1 && dropped[0].hasPrefix(
                "dropped county changning; \(waiting) queued job(s) cancelled, 0 undelivered notification(s) deleted; 1 account(s) had it: 1 disabled (their only county), 0 lost it"),
                "\(dropped)")
            #expect(try await queued() == 0)
            let counties = try await succeed(["county", "list", "--format", "csv"], pooled).joined(separator: "\n")
            #expect(counties.contains("\nleiyang,active,") && !counties.contains("changning"), "\(counties)")
            let enable = try await tongxin(["account", "enable", "cn.staff"], pooled)
            #expect(enable.lines == ["tongxin: login: cn.staff belonged to county changning, which was dropped; add a new account instead"], "\(enable.output)")
        }
    }

    @Test func theWorkerDrainsTenThousandJobsThroughPgBouncerWithNothingLost() async throws {
        try await withBouncer { direct, pooled in
            let environment = ["DATABASE_URL": Programs.url(pooled)]
            let migrated = try await Programs.run("tongxin", ["migrate", "up"], environment: environment)
            try #require(migrated.status == 0, "\(migrated.output)")
            let enqueued = try await Programs.run("tongxin", ["jobs", "enqueue", "effect", "--count", "10000"], environment: environment)
            try #require(enqueued.status == 0, "\(enqueued.output)")
            let drained = try await Programs.run(
                "tongxin-worker", ["--drain", "--concurrency", "4", "--log-level", "notice"], environment: environment)
            #expect(drained.status == 0, "\(drained.output)")
            let (completed, other, effects, distinct) = try await PostgresConnection.withConnection(configuration: direct) { connection in
                try await connection.query("""
                    SELECT (SELECT count(*) FROM tongxin.job WHERE state = 'completed'),
                           (SELECT count(*) FROM tongxin.job WHERE state <> 'completed'),
                           (SELECT count(*) FROM tongxin.job_effect), (SELECT count(DISTINCT job_id) FROM tongxin.job_effect)
                    """).single().decode((Int, Int, Int, Int).self)
            }
            #expect(completed == 10_000)
            #expect(other == 0)
            #expect(effects == 10_000)
            #expect(distinct == 10_000)
        }
    }

    /// A running worker (not draining) through the pooler: without a direct connection it says it
    /// polls and still runs a job enqueued later; with `--listen-database-url` it listens there.
    @Test func theWorkerThroughAPoolerPollsOrListensOnADirectConnection() async throws {
        try await withBouncer { direct, pooled in
            let migrated = try await Programs.run("tongxin", ["migrate", "up"], environment: ["DATABASE_URL": Programs.url(pooled)])
            try #require(migrated.status == 0, "\(migrated.output)")
            for listen in [nil, Programs.url(direct)] {
                let worker = try SpawnedProcess(
                    Programs.directory + "/tongxin-worker", ["--log-level", "notice"] + (listen.map { ["--listen-database-url", $0] } ?? []),
                    environment: Programs.cleanEnvironment(["DATABASE_URL": Programs.url(pooled)]))
                try await Task.sleep(for: .milliseconds(500))
                let enqueued = try await Programs.run("tongxin", ["jobs", "enqueue", "effect"], environment: ["DATABASE_URL": Programs.url(pooled)])
                #expect(enqueued.status == 0, "\(enqueued.output)")
                let left = try await Programs.waitUntilZero(
                    "SELECT count(*) FROM tongxin.job WHERE state <> 'completed'", on: direct, attempts: 100)
                worker.signal(SIGTERM)
                let status = try await offCooperativePool { worker.waitForExit() }
                #expect(left == 0)
                #expect(status == 0, "\(worker.output)")
                #expect(worker.output.contains("polling every") == (listen == nil), "\(worker.output)")
            }
        }
    }
}

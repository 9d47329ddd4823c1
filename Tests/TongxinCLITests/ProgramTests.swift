import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase
import TongxinCLI

/// The built programs, driven as an operator would: arguments in, exit status and output out.
enum Programs {
    /// The folder the test bundle was built into holds the executables too.
    static var directory: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first ?? ".build/debug/x")
        let candidate = bundle.deletingLastPathComponent().path
        if FileManager.default.isExecutableFile(atPath: candidate + "/tongxin") { return candidate }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    struct Outcome {
        var status: Int32
        var output: String
        var lines: [String] { output.split(separator: "\n").map(String.init) }
    }

    /// Runs `program arguments` to completion with `environment` (PG* and DATABASE_URL removed
    /// from this process's environment first, so only what a test gives counts).
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let child = try SpawnedProcess(directory + "/" + program, arguments, environment: cleanEnvironment(environment))
        let status = try await offCooperativePool { child.waitForExit() }
        return Outcome(status: status, output: child.output)
    }

    static func cleanEnvironment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        environment.merge(extra) { $1 }
        return environment
    }

    /// Polls `sql` (a count) on `configuration` every 100 ms until it says 0, at most `attempts`
    /// times; returns the last count (0 when it got there).
    static func waitUntilZero(_ sql: PostgresQuery, on configuration: PostgresConfiguration, attempts: Int = 200) async throws -> Int {
        var left = -1
        for _ in 0..<attempts {
            left = try await PostgresConnection.withConnection(configuration: configuration) {
                try await $0.query(sql).single().decode(Int.self)
            }
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return left
    }

    /// A key=value connection string for `configuration` (the test server, its database).
    static func url(_ configuration: PostgresConfiguration) -> String {
        var text = configuration.connectionString ?? ""
        if let database = configuration.database { text += " dbname=\(database)" }
        return text
    }
}

@Suite struct TongxinProgramTests {
    @Test func versionPrintsTheVersionAndExitsZero() async throws {
        let outcome = try await Programs.run("tongxin", ["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.lines == [TongxinVersion.current])
    }

    @Test func helpListsTheDatabaseCommands() async throws {
        let outcome = try await Programs.run("tongxin", ["--help"])
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("USAGE: tongxin <subcommand>"))
        #expect(outcome.output.contains("db"))
        let db = try await Programs.run("tongxin", ["db", "--help"])
        #expect(db.output.contains("check"))
        #expect(db.output.contains("info"))
    }

    @Test func dbCheckPrintsTheServerVersionAndRoundTrip() async throws {
        try await TestDatabase.withDatabase { configuration in
            let outcome = try await Programs.run("tongxin", ["db", "check"], environment: ["DATABASE_URL": Programs.url(configuration)])
            #expect(outcome.status == 0, "\(outcome.output)")
            let lines = outcome.lines
            #expect(lines.count == 2)
            let version = try await serverVersion(configuration)
            #expect(lines.first?.hasPrefix("connected: PostgreSQL \(version), ") == true)
            #expect(lines.first?.contains("database \(configuration.database ?? "?")") == true)
            let milliseconds = lines.last.flatMap { line -> Double? in
                guard line.hasPrefix("round trip: "), line.hasSuffix(" ms") else { return nil }
                return Double(line.dropFirst(12).dropLast(3))
            }
            let value = try #require(milliseconds)
            #expect(value > 0 && value < 1000)
        }
    }

    @Test func dbCheckTakesTheDatabaseURLOptionOverTheEnvironment() async throws {
        try await TestDatabase.withDatabase { configuration in
            let outcome = try await Programs.run(
                "tongxin", ["db", "check", "--database-url", Programs.url(configuration)],
                environment: ["DATABASE_URL": "host=/nonexistent"])
            #expect(outcome.status == 0, "\(outcome.output)")
            #expect(outcome.output.contains("database \(configuration.database ?? "?")"))
        }
    }

    @Test func dbCheckWithAnUnreachableServerPrintsLibpqsReasonOnOneLineAndExitsOne() async throws {
        let outcome = try await Programs.run("tongxin", ["db", "check", "--database-url", "host=/nonexistent-tongxin port=5432"])
        #expect(outcome.status == 1)
        #expect(outcome.lines.count == 1)
        #expect(outcome.output.hasPrefix("tongxin: connection to server on socket \"/nonexistent-tongxin/.s.PGSQL.5432\" failed"))
    }

    @Test func dbCheckWithABadPasswordPrintsLibpqsReasonOnOneLineAndExitsOne() async throws {
        try await TestDatabase.withDatabase { configuration in
            // The throwaway server asks this role (alone) for a password; see EmbeddedPostgres.
            try await TestDatabase.ensurePasswordRole()
            let url = Programs.url(configuration) + " user=tongxin_pw password=wrong"
            let outcome = try await Programs.run("tongxin", ["db", "check", "--database-url", url])
            #expect(outcome.status == 1)
            #expect(outcome.lines.count == 1)
            #expect(outcome.output.contains("password authentication failed for user \"tongxin_pw\""))
        }
    }

    @Test func dbInfoListsSchemasAndTheirTables() async throws {
        try await TestDatabase.withDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration: configuration)
            try await connection.executeUnsafeScript("""
                CREATE SCHEMA county_leiyang;
                CREATE TABLE county_leiyang.proposal (id int PRIMARY KEY);
                CREATE TABLE county_leiyang.assignment (id int PRIMARY KEY);
                """)
            await connection.close()
            let outcome = try await Programs.run("tongxin", ["db", "info"], environment: ["DATABASE_URL": Programs.url(configuration)])
            #expect(outcome.status == 0, "\(outcome.output)")
            let version = try await serverVersion(configuration)
            #expect(outcome.lines.first == "database \(configuration.database ?? "?") on PostgreSQL \(version): 2 schema(s)")
            #expect(outcome.lines.contains("  county_leiyang: 2 table(s): assignment, proposal"))
            #expect(outcome.lines.contains("  public: 0 table(s): no tables"))
        }
    }

    @Test func anUnknownCommandIsAUsageErrorWithNonZeroExit() async throws {
        let outcome = try await Programs.run("tongxin", ["frobnicate"])
        #expect(outcome.status == 64)
        #expect(outcome.lines.count == 1, "\(outcome.output)")
        #expect(outcome.output.contains("frobnicate"))
    }

    @Test func usageErrorsAreOneLineNamingTheArgument() async throws {
        let missing = try await Programs.run("tongxin", ["proposal", "show"])
        #expect(missing.status == 64)
        #expect(missing.lines == ["tongxin: Missing expected argument '<id>' (see `tongxin … --help`)"])
        let mistyped = try await Programs.run("tongxin-worker", ["--concurrency", "many"])
        #expect(mistyped.status == 64)
        #expect(mistyped.lines == ["tongxin-worker: The value 'many' is invalid for '--concurrency <concurrency>' (see `tongxin-worker … --help`)"])
        let refused = try await Programs.run("tongxin", ["proposal", "review", "2021-001", "--register", "--note", "x"])
        #expect(refused.status == 64)
        #expect(refused.lines == ["tongxin: --note: only with --decline, --convert or --return (the notice to the author) (see `tongxin … --help`)"])
        let help = try await Programs.run("tongxin", ["proposal", "show", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: tongxin proposal show"))
    }
}

@Suite struct WorkerProgramTests {
    /// Starts the worker, waits for "ready", sends `signal`, and returns the exit status and log.
    func runUntilSignal(_ signal: Int32) async throws -> Programs.Outcome {
        try await TestDatabase.withDatabase { configuration in
            let migrated = try await Programs.run("tongxin", ["migrate", "up"], environment: ["DATABASE_URL": Programs.url(configuration)])
            #expect(migrated.status == 0, "\(migrated.output)")
            let child = try SpawnedProcess(
                Programs.directory + "/tongxin-worker", [],
                environment: Programs.cleanEnvironment(["DATABASE_URL": Programs.url(configuration)]))
            var ready = false
            for _ in 0..<1000 {
                if child.output.contains("ready") {
                    ready = true
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            child.signal(ready ? signal : SIGKILL)
            let status = try await offCooperativePool { child.waitForExit() }
            #expect(ready, "the worker never logged ready: \(child.output)")
            return Programs.Outcome(status: status, output: child.output)
        }
    }

    @Test func workerLogsReadyAndExitsCleanlyOnSIGTERM() async throws {
        let outcome = try await runUntilSignal(SIGTERM)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("ready"))
        #expect(outcome.output.contains("stopped"))
    }

    @Test func workerExitsCleanlyOnSIGINT() async throws {
        let outcome = try await runUntilSignal(SIGINT)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("stopped"))
    }

    @Test func workerWithoutAJobQueueSaysToMigrateAndExitsOne() async throws {
        try await TestDatabase.withDatabase { configuration in
            let outcome = try await Programs.run("tongxin-worker", [], environment: ["DATABASE_URL": Programs.url(configuration)])
            #expect(outcome.status == 1)
            #expect(outcome.lines.count == 1)
            #expect(outcome.output.contains("no job queue in this database (tongxin.job): run `tongxin migrate up` first"))
        }
    }

    @Test func workerWithAnUnreachableServerLogsOneErrorLineAndExitsOne() async throws {
        let outcome = try await Programs.run("tongxin-worker", ["--database-url", "host=/nonexistent-tongxin"])
        #expect(outcome.status == 1)
        #expect(outcome.lines.count == 1)
        #expect(outcome.output.contains("error"))
        #expect(outcome.output.contains("/nonexistent-tongxin/.s.PGSQL.5432"))
    }
}

@Suite struct DatabaseCheckTests {
    @Test func checkReportsTheServerDatabaseAndUser() async throws {
        try await TestDatabase.withDatabase { configuration in
            let report = try await DatabaseCheck.run(configuration: configuration)
            #expect(report.serverVersion == (try await serverVersion(configuration)))
            #expect(report.database == configuration.database)
            #expect(report.roundTripMilliseconds > 0)
            #expect(report.lines.count == 2)
        }
    }

    @Test func configurationPrefersTheExplicitURLThenDATABASE_URLThenLibpqDefaults() {
        let explicit = PostgresConfiguration.resolve(explicit: "host=/a", environment: ["DATABASE_URL": "host=/b"])
        #expect(explicit.connectionString == "host=/a")
        let fromEnvironment = PostgresConfiguration.resolve(explicit: nil, environment: ["DATABASE_URL": "host=/b"])
        #expect(fromEnvironment.connectionString == "host=/b")
        let defaults = PostgresConfiguration.resolve(explicit: nil, environment: [:])
        #expect(defaults.connectionString == nil)
    }
}

/// The server's version string, read directly.
func serverVersion(_ configuration: PostgresConfiguration) async throws -> String {
    try await PostgresConnection.withConnection(configuration: configuration) {
        try await $0.query("SELECT current_setting('server_version')").single().decode(String.self)
    }
}

/// libpq's own ways to name a server reach the programs unchanged.
@Suite struct LibpqConventionTests {
    /// The test server's socket folder, port and user, from its key=value connection string.
    func serverParts(_ configuration: PostgresConfiguration) throws -> (host: String, port: String, user: String, database: String) {
        var parts: [String: String] = [:]
        for pair in (configuration.connectionString ?? "").split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { parts[kv[0]] = kv[1] }
        }
        let host = try #require(parts["host"], "TONGXIN_TEST_DATABASE_URL must be key=value with host= for these tests")
        return (host, parts["port"] ?? "5432", parts["user"] ?? "postgres", try #require(configuration.database))
    }

    func expectConnected(_ outcome: Programs.Outcome, to database: String, as user: String = "postgres") {
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("database \(database), user \(user)"), "\(outcome.output)")
    }

    @Test func thePGVariablesAloneReachTheServer() async throws {
        try await TestDatabase.withDatabase { configuration in
            let (host, port, user, database) = try serverParts(configuration)
            let outcome = try await Programs.run("tongxin", ["db", "check"], environment: [
                "PGHOST": host, "PGPORT": port, "PGUSER": user, "PGDATABASE": database,
            ])
            expectConnected(outcome, to: database, as: user)
        }
    }

    @Test func aURIInDATABASE_URLReachesTheServer() async throws {
        try await TestDatabase.withDatabase { configuration in
            let (host, port, user, database) = try serverParts(configuration)
            let encodedHost = host.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? host
            let uri = "postgresql://\(user)@/\(database)?host=\(encodedHost)&port=\(port)"
            let outcome = try await Programs.run("tongxin", ["db", "check"], environment: ["DATABASE_URL": uri])
            expectConnected(outcome, to: database, as: user)
        }
    }

    @Test func aPasswordFromPgpassAndAServiceFileAreUsed() async throws {
        try await TestDatabase.withDatabase { configuration in
            let (host, port, _, database) = try serverParts(configuration)
            try await TestDatabase.ensurePasswordRole()
            let folder = NSTemporaryDirectory() + "libpq-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pgpass = folder + "/pgpass"
            try "*:*:*:tongxin_pw:right\n".write(toFile: pgpass, atomically: true, encoding: .utf8)
            chmod(pgpass, 0o600)
            let services = folder + "/pg_service.conf"
            try "[county_demo]\nhost=\(host)\nport=\(port)\ndbname=\(database)\nuser=tongxin_pw\n"
                .write(toFile: services, atomically: true, encoding: .utf8)
            // The server asks tongxin_pw for a password; only .pgpass can give it here.
            let outcome = try await Programs.run("tongxin", ["db", "check"], environment: [
                "PGSERVICEFILE": services, "PGSERVICE": "county_demo", "PGPASSFILE": pgpass,
            ])
            expectConnected(outcome, to: database, as: "tongxin_pw")
            let withoutPassword = try await Programs.run("tongxin", ["db", "check"], environment: [
                "PGSERVICEFILE": services, "PGSERVICE": "county_demo", "PGPASSFILE": folder + "/none",
            ])
            #expect(withoutPassword.status == 1)
            #expect(withoutPassword.lines.count == 1)
        }
    }
}

import Counties
import EmbeddedPostgres
import Foundation
import Migrations
import PostgresClient

/// The server, the programs and a scratch folder the scenarios share.
final class Harness: Sendable {
    /// The throwaway server this suite started, or nil on Citus (`--citus`).
    let server: EmbeddedPostgres?
    let options: Options
    /// Where `tongxin` and `tongxin-worker` are (next to this program).
    let programs: String
    /// A scratch folder: the working directory and HOME of the programs run here.
    let scratch: String

    init(server: EmbeddedPostgres?, options: Options) throws {
        self.server = server
        self.options = options
        let me = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "tongxin-chaos")
        programs = me.deletingLastPathComponent().path
        for program in ["tongxin", "tongxin-worker"] where !FileManager.default.isExecutableFile(atPath: programs + "/" + program) {
            throw ChaosError("\(programs)/\(program) is missing: build it first (swift build)")
        }
        guard FileManager.default.fileExists(atPath: options.migrations + "/county") else {
            throw ChaosError("\(options.migrations)/county is missing: run from the repository or give --migrations")
        }
        scratch = NSTemporaryDirectory() + "tongxin-chaos-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: scratch)
        // What a fuzzed `--to ../chaos-traversal.txt` may have written next to it.
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: scratch).deletingLastPathComponent().path + "/chaos-traversal.txt")
    }

    /// The scenario's database; on Citus always the coordinator's one database (`--citus`).
    func url(_ database: String) -> String {
        if let citus = options.citus { return citus }
        return server?.connectionString(database: database) ?? ""
    }

    func configuration(_ database: String) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: url(database))
    }

    /// A new, empty database for one scenario. On Citus, where a new database would need the
    /// extension and the nodes set up again, the one database is emptied instead: every schema
    /// but Citus's and PostgreSQL's own is dropped (a distributed county schema on every node).
    func freshDatabase(_ name: String) async throws -> String {
        if options.citus != nil {
            try await withConnection(name) { c in
                let schemas = try await c.query("""
                    SELECT nspname::text FROM pg_namespace
                    WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
                      AND nspname NOT LIKE 'citus%' AND nspname NOT LIKE 'columnar%'
                    ORDER BY 1
                    """).decode(String.self)
                for schema in schemas {
                    try await c.query("DROP SCHEMA \(identifier: try PostgresIdentifier(schema)) CASCADE")
                }
            }
            return name
        }
        try await PostgresConnection.withConnection(configuration: configuration("postgres")) { c in
            let quoted = try PostgresIdentifier(name)
            try await c.query("DROP DATABASE IF EXISTS \(identifier: quoted) WITH (FORCE)")
            try await c.query("CREATE DATABASE \(identifier: quoted)")
        }
        return name
    }

    func withConnection<R: Sendable>(_ database: String, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await PostgresConnection.withConnection(configuration: configuration(database), body)
    }

    /// Creates counties `prefix0000` … in-process, two at a time (the CLI's `county create-many`).
    func createCounties(_ database: String, prefix: String, count: Int) async throws -> [String] {
        let pool = PostgresPool(configuration: configuration(database), options: PostgresPoolOptions(maxConnections: 3))
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "chaos")
        let entries = try CountyList.parse((0..<count).map { "\(prefix)\(String(format: "%04d", $0)),县\($0)" }.joined(separator: "\n"))
        let outcomes = try await registry.createMany(entries, jobs: 2)
        await pool.close()
        if let failed = outcomes.first(where: { $0.1 != nil }) { throw ChaosError("county \(failed.0) was not created: \(failed.1 ?? "")") }
        return entries.map { $0.code.value }
    }

    /// A copy of the repository's migrations with extra county files.
    func migrationsFolder(_ name: String, extra: [String: String]) throws -> String {
        let folder = scratch + "/migrations-" + name
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.copyItem(atPath: options.migrations, toPath: folder)
        for (file, sql) in extra {
            try sql.write(toFile: folder + "/county/" + file, atomically: true, encoding: .utf8)
        }
        return folder
    }

    // MARK: Programs

    /// What a finished program did.
    struct Run: Sendable {
        var arguments: [String]
        var status: Int32
        /// Killed by a signal this harness did not send: a crash or a Swift trap.
        var signaled: Bool
        var timedOut: Bool
        var stdout: String
        var stderr: String

        var errorLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        /// A Swift runtime trap or crash, whatever the exit status says.
        var trapped: Bool {
            signaled || stderr.contains("Fatal error") || stderr.contains("Swift runtime failure")
                || stderr.contains("Stack dump") || stderr.contains("Illegal instruction")
        }
        var shown: String {
            let args = arguments.map { $0.count > 60 ? String($0.prefix(60)) + "…(\($0.count) chars)" : $0 }
            return "tongxin \(args.map { $0.debugDescription }.joined(separator: " "))"
        }
    }

    /// Runs `program arguments` in the scratch folder and waits (at most `timeout`). An argument
    /// equal to `Harness.invalidUTF8` is replaced by bytes that are not UTF-8 (through /bin/sh,
    /// since Swift strings cannot hold them).
    func run(_ program: String, _ arguments: [String], database: String?, environment: [String: String] = [:],
             timeout: Duration = .seconds(120)) async throws -> Run {
        let path = programs + "/" + program
        let outFile = scratch + "/out-" + UUID().uuidString.prefix(8)
        let errFile = scratch + "/err-" + UUID().uuidString.prefix(8)
        _ = FileManager.default.createFile(atPath: outFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outFile)
            try? FileManager.default.removeItem(atPath: errFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // POSIX sh: rebuild "$@", swapping the marker for the raw bytes.
        let script = #"bad=$(printf '\377\376\303\050\355\240\200'); prog=$1; shift; for a in "$@"; do shift; if [ "$a" = "@@INVALID-UTF8@@" ]; then set -- "$@" "$bad"; else set -- "$@" "$a"; fi; done; exec "$prog" "$@""#
        process.arguments = ["-c", script, "sh", path] + arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" && !$0.key.hasPrefix("TONGXIN_") }
        env["HOME"] = scratch
        env["USER"] = "chaos"
        if let database { env["DATABASE_URL"] = url(database) }
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: scratch)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outFile)
        process.standardError = FileHandle(forWritingAtPath: errFile)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        while process.isRunning {
            if ContinuousClock.now > deadline {
                timedOut = true
                process.terminate()
                try await Task.sleep(for: .seconds(2))
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        let signaled = process.terminationReason == .uncaughtSignal && !timedOut
        return Run(
            arguments: arguments, status: process.terminationStatus, signaled: signaled, timedOut: timedOut,
            stdout: Self.read(outFile), stderr: Self.read(errFile))
    }

    static let invalidUTF8 = "@@INVALID-UTF8@@"

    static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    func tongxin(_ arguments: [String], database: String?, environment: [String: String] = [:]) async throws -> Run {
        try await run("tongxin", arguments, database: database, environment: environment)
    }

    /// Starts `tongxin-worker` (it keeps running until signalled or, with --drain, done).
    func worker(_ database: String, _ arguments: [String]) throws -> SpawnedProcess {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" && !$0.key.hasPrefix("TONGXIN_") }
        environment["DATABASE_URL"] = url(database)
        environment["HOME"] = scratch
        return try SpawnedProcess(programs + "/tongxin-worker", ["--log-level", "warning"] + arguments, environment: environment)
    }

    /// Waits for `child` at most `limit`, then SIGKILLs it; its status and whether it had to be killed.
    func waitForExit(_ child: SpawnedProcess, limit: Duration) async throws -> (status: Int32, killed: Bool) {
        let watchdog = Task {
            try await Task.sleep(for: limit)
            child.signal(SIGKILL)
            return true
        }
        let status = try await blocking { child.waitForExit() }
        watchdog.cancel()
        let killed = (try? await watchdog.value) ?? false
        return (status, killed)
    }

    // MARK: Checks

    /// A digest of every row of every table in the database's own schemas: equal before and
    /// after a refused command proves it wrote nothing.
    func checksum(_ database: String) async throws -> String {
        try await withConnection(database) { c in
            let tables = try await c.query("""
                SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                ORDER BY 1
                """).decode(String.self)
            var digest = ""
            for chunk in stride(from: 0, to: tables.count, by: 50) {
                let part = tables[chunk..<min(chunk + 50, tables.count)]
                let sql = part.map { "SELECT '\($0.replacingOccurrences(of: "'", with: "''"))' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM \($0) x" }
                    .joined(separator: " UNION ALL ")
                let rows = try await c.query(PostgresQuery(unsafeSQL: sql + " ORDER BY 1")).decode((String, String).self)
                digest += rows.map { "\($0.0)=\($0.1);" }.joined()
            }
            return digest
        }
    }
}

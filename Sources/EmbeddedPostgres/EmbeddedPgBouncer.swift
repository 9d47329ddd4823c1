import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway pgbouncer (Debian's package) in front of an `EmbeddedPostgres`, for tests and
/// benchmarks of what runs behind a pooler: unix socket only, in a folder inside the server's
/// private folder, trust authentication for the server's superuser, every database passed on
/// to the server, `pool_mode = transaction` unless told otherwise. As root it runs as the
/// server's account (pgbouncer, like PostgreSQL, refuses root).
public final class EmbeddedPgBouncer: Sendable {
    /// Holds the unix socket `.s.PGSQL.<port>`, the configuration and `pgbouncer.log`.
    public let socketDirectory: String
    public let port: Int
    public let user: String
    /// `pool_mode`: transaction, session or statement.
    public let poolMode: String
    let pidFile: String
    let logFile: String
    let account: ServerAccount?
    private let stopped = Locked(false)

    private init(socketDirectory: String, port: Int, user: String, poolMode: String, account: ServerAccount?) {
        self.socketDirectory = socketDirectory
        self.port = port
        self.user = user
        self.poolMode = poolMode
        self.pidFile = socketDirectory + "/pgbouncer.pid"
        self.logFile = socketDirectory + "/pgbouncer.log"
        self.account = account
    }

    deinit { stop() }

    /// Where pgbouncer is: `$TONGXIN_PGBOUNCER`, else /usr/sbin/pgbouncer (Debian), else PATH.
    public static func locate() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [environment["TONGXIN_PGBOUNCER"] ?? "", "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        for folder in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(folder)/pgbouncer") }
        return candidates.first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The located pgbouncer's version: its `--version` line ("PgBouncer 1.18.0") and its
    /// numbers, or nil when there is none or it says something else.
    public static func version() -> (line: String, numbers: [Int])? {
        guard let program = locate(), let output = try? EmbeddedPostgres.capture(program, ["--version"]).output,
            let line = output.split(separator: "\n").first.map(String.init),
            let word = line.split(separator: " ").last
        else { return nil }
        let numbers = word.split(separator: ".").compactMap { Int($0) }
        return numbers.count >= 2 ? (line, numbers) : nil
    }

    /// Whether the located pgbouncer keeps protocol-level prepared statements across its
    /// server connections (1.21 and later, with `max_prepared_statements` above 0).
    public static var keepsPreparedStatements: Bool {
        guard let numbers = version()?.numbers else { return false }
        return numbers.lexicographicallyPrecedes([1, 21]) == false
    }

    /// Starts pgbouncer for `server`; returns once its socket accepts connections.
    public static func start(
        for server: EmbeddedPostgres, poolMode: String = "transaction", poolSize: Int = 10,
        settings: [String: String] = [:]
    ) throws -> EmbeddedPgBouncer {
        guard let program = locate() else {
            throw EmbeddedPostgresError(step: .discover, message: "no pgbouncer (make test installs Debian's pgbouncer package)")
        }
        guard ["transaction", "session", "statement"].contains(poolMode) else {
            throw EmbeddedPostgresError(step: .configure, message: "pool_mode \(poolMode.debugDescription) is none of transaction, session, statement")
        }
        for key in settings.keys where !EmbeddedPostgres.isSettingName(key) {
            throw EmbeddedPostgresError(step: .configure, message: "invalid setting name \(key.debugDescription)")
        }
        let folder = server.socketDirectory + "/pgbouncer-\(UUID().uuidString.prefix(8).lowercased())"
        let port = 6432
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try server.account?.chown(folder)
        } catch {
            throw EmbeddedPostgresError(step: .prepare, message: "cannot create \(folder): \(error)")
        }
        let bouncer = EmbeddedPgBouncer(socketDirectory: folder, port: port, user: server.superuser, poolMode: poolMode, account: server.account)
        var values: [(String, String)] = [
            ("unix_socket_dir", folder), ("listen_port", String(port)), ("auth_type", "trust"),
            ("auth_file", folder + "/users.txt"), ("pool_mode", poolMode), ("max_client_conn", "1000"),
            ("default_pool_size", String(poolSize)), ("ignore_startup_parameters", "extra_float_digits"),
            ("logfile", bouncer.logFile), ("pidfile", bouncer.pidFile), ("admin_users", server.superuser),
            ("server_login_retry", "1"),
        ]
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            values.removeAll { $0.0 == key }
            values.append((key, value))
        }
        let configuration = """
            [databases]
            * = host=\(server.socketDirectory) port=\(server.port)

            [pgbouncer]
            \(values.map { "\($0.0) = \($0.1)" }.joined(separator: "\n"))

            """
        do {
            try bouncer.write(folder + "/pgbouncer.ini", configuration)
            try bouncer.write(folder + "/users.txt", "\"\(server.superuser)\" \"\"\n")
            let started = try Subprocess.run(program, ["-d", folder + "/pgbouncer.ini"], as: server.account, in: folder)
            guard started.status == 0 else {
                throw EmbeddedPostgresError(
                    step: .start, message: "pgbouncer -d exited with status \(started.status)",
                    output: EmbeddedPostgresError.tail(started.output + ((try? String(contentsOfFile: bouncer.logFile, encoding: .utf8)) ?? "")))
            }
            let socket = folder + "/.s.PGSQL.\(port)"
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: socket) {
                guard Date() < deadline else {
                    throw EmbeddedPostgresError(step: .start, message: "pgbouncer did not open \(socket) within 20 s",
                                                output: EmbeddedPostgresError.tail((try? String(contentsOfFile: bouncer.logFile, encoding: .utf8)) ?? ""))
                }
                usleep(20_000)
            }
        } catch {
            bouncer.stop()
            throw error
        }
        return bouncer
    }

    /// `host=<socketDirectory> port=<port> user=<user> dbname=<database>`.
    public func connectionString(database: String = "postgres") -> String {
        [("host", socketDirectory), ("port", String(port)), ("user", user), ("dbname", database)]
            .map { "\($0.0)=\(EmbeddedPostgres.quoteConnectionValue($0.1))" }
            .joined(separator: " ")
    }

    /// What pgbouncer logged so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Stops pgbouncer (SIGINT: at once, closing its connections) and removes its folder. Idempotent.
    public func stop() {
        stopped.withLock { isStopped in
            guard !isStopped else { return }
            isStopped = true
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
            {
                kill(pid, SIGINT)
                for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }
            try? FileManager.default.removeItem(atPath: socketDirectory)
        }
    }

    private func write(_ path: String, _ contents: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw EmbeddedPostgresError(step: .configure, message: "cannot write \(path)")
        }
        try account?.chown(path)
    }
}

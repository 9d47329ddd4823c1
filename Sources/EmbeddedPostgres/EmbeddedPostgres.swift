import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server for tests, benchmarks and `tongxin-devdb`.
///
/// `start()` runs `initdb` into a fresh private folder (`tongxin-pg-XXXXXX` under the temporary
/// directory), configures it for speed over durability (fsync off), listens on a unix socket in
/// that folder only (no TCP, so any number of servers run side by side on the same port number;
/// with `Options.tls`, also on 127.0.0.1 at a free port, TLS only), and starts it with
/// `pg_ctl -w start`. `stop()` stops it and deletes the folder.
///
/// As root, the folder belongs to the `postgres` user and the tools run through
/// `runuser -u postgres --`, because PostgreSQL refuses to run as root.
///
/// Authentication is `trust` for every role except `tongxin_pw`, which must give a password
/// (scram-sha-256): tests create that role to see a wrong password rejected.
///
/// Lifetime: call `stop()` when done. An instance released without `stop()` stops its server in
/// `deinit`, and an `atexit` hook stops every server still running when the process exits
/// normally (that is how `shared()` servers end). A process that crashes or is killed leaves its
/// folder (and usually a running server) under /tmp; the next `start()` on the machine stops and
/// removes folders whose creating process is gone (see `PrivateFolder`).
public final class EmbeddedPostgres: Sendable {
    public struct Options: Sendable {
        /// Folder with initdb, pg_ctl and postgres. nil: `$TONGXIN_PG_BINDIR`, else
        /// /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/*/bin.
        public var binDirectory: String?
        /// The superuser role `initdb -U` creates. nil: "postgres" when running as root, else the
        /// name of the current user.
        public var superuser: String?
        /// More `postgresql.conf` settings, written after (and so overriding) the defaults.
        /// Values are quoted for you: `["log_statement": "all"]`.
        public var extraSettings: [String: String]
        /// Also listen on TCP at 127.0.0.1 (on a free port), where only TLS connections are
        /// accepted (`ssl = on`, `hostssl … trust`, `hostnossl … reject`) with this certificate.
        /// The unix socket stays as it is. nil: no TCP at all.
        public var tls: TLS?

        public init(
            binDirectory: String? = nil, superuser: String? = nil, extraSettings: [String: String] = [:], tls: TLS? = nil
        ) {
            self.binDirectory = binDirectory
            self.superuser = superuser
            self.extraSettings = extraSettings
            self.tls = tls
        }
    }

    /// The server's certificate (PEM, with the chain up to the CA if any) and its private key
    /// (PEM). Both are copied into the cluster; the key there is readable by the server only.
    public struct TLS: Sendable {
        public var certificateFile: String
        public var keyFile: String

        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// `<folder>/data`, the cluster.
    public let dataDirectory: String
    /// The private folder itself; the unix socket `.s.PGSQL.<port>` lives here.
    public let socketDirectory: String
    /// The port number: it names the socket file and, with `Options.tls`, is the TCP port too.
    public let port: Int
    /// "127.0.0.1" when the server also listens on TCP (with `Options.tls`), else nil.
    public let tcpHost: String?
    /// The superuser role, also the default user in `connectionString` and `environment`.
    public let superuser: String
    /// The folder the server binaries came from.
    public let binDirectory: String
    /// The server's major version, as in `data/PG_VERSION` ("15").
    public let majorVersion: String

    /// `<folder>/server.log`.
    let serverLog: String
    let account: ServerAccount?
    /// true once stopped and removed.
    private let stopped = Locked(false)

    static let defaultPort = 5432

    private init(
        folder: String, port: Int, tcpHost: String?, superuser: String, binDirectory: String, majorVersion: String,
        account: ServerAccount?
    ) {
        self.socketDirectory = folder
        self.dataDirectory = folder + "/data"
        self.serverLog = folder + "/server.log"
        self.port = port
        self.tcpHost = tcpHost
        self.superuser = superuser
        self.binDirectory = binDirectory
        self.majorVersion = majorVersion
        self.account = account
    }

    deinit {
        try? stop()
    }

    // MARK: - Starting

    /// Creates, configures and starts a new server; returns once it accepts connections.
    public static func start(options: Options = .init()) throws -> EmbeddedPostgres {
        let binDirectory = try PostgresBinaries.locate(explicit: options.binDirectory)
        let account = try ServerAccount.forCurrentProcess()
        let superuser = options.superuser ?? (account != nil ? "postgres" : ServerAccount.currentUserName())
        guard !superuser.isEmpty else {
            throw EmbeddedPostgresError(step: .discover, message: "the superuser name is empty")
        }
        for key in options.extraSettings.keys where !isSettingName(key) {
            throw EmbeddedPostgresError(step: .configure, message: "invalid setting name \(key.debugDescription)")
        }

        // Without TCP every server can use the same port number (it only names the socket file
        // in its own folder); on TCP it must be free on the machine.
        let port = options.tls == nil ? defaultPort : try freeTCPPort()
        let base = PrivateFolder.base(port: port, account: account)
        PrivateFolder.reapOrphans(in: base, binDirectory: binDirectory, account: account)
        let folder = try PrivateFolder.create(in: base, account: account)
        let dataDirectory = folder + "/data"
        let serverLog = folder + "/server.log"

        do {
            try initdb(binDirectory: binDirectory, dataDirectory: dataDirectory, superuser: superuser,
                       folder: folder, account: account)
            try configure(dataDirectory: dataDirectory, folder: folder, port: port, options: options, account: account)
            let started = try Subprocess.run(
                binDirectory + "/pg_ctl",
                ["-D", dataDirectory, "-l", serverLog, "-w", "-t", "120", "start"],
                as: account, in: folder)
            if started.status != 0 {
                throw EmbeddedPostgresError(
                    step: .start, message: "pg_ctl start exited with status \(started.status)",
                    output: EmbeddedPostgresError.tail(serverLogOrOutput(serverLog, started.output)))
            }
        } catch {
            discard(folder: folder, binDirectory: binDirectory, account: account)
            throw error
        }

        let version = (try? String(contentsOfFile: dataDirectory + "/PG_VERSION", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        let server = EmbeddedPostgres(
            folder: folder, port: port, tcpHost: options.tls == nil ? nil : tcpAddress, superuser: superuser,
            binDirectory: binDirectory, majorVersion: version, account: account)
        track(server)
        return server
    }

    private static func initdb(
        binDirectory: String, dataDirectory: String, superuser: String, folder: String, account: ServerAccount?
    ) throws {
        let common = ["-D", dataDirectory, "-U", superuser, "-E", "UTF8", "-A", "trust", "--no-sync"]
        var result = try Subprocess.run(
            binDirectory + "/initdb", common + ["--locale=C.UTF-8"], as: account, in: folder)
        if result.status != 0 {
            // No C.UTF-8 locale (macOS, old glibc): fall back to the C locale, keeping UTF8.
            try? FileManager.default.removeItem(atPath: dataDirectory)
            result = try Subprocess.run(binDirectory + "/initdb", common + ["--no-locale"], as: account, in: folder)
        }
        if result.status != 0 {
            throw EmbeddedPostgresError(
                step: .initdb, message: "initdb exited with status \(result.status)",
                output: EmbeddedPostgresError.tail(result.output))
        }
    }

    private static func configure(
        dataDirectory: String, folder: String, port: Int, options: Options, account: ServerAccount?
    ) throws {
        var settings: [(String, String)] = [
            ("listen_addresses", ""),
            ("unix_socket_directories", folder),
            ("port", String(port)),
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("max_connections", "1000"),  // tests run in parallel, some open hundreds
            ("shared_buffers", "128MB"),
            ("max_prepared_transactions", "0"),
            ("logging_collector", "off"),
            ("password_encryption", "scram-sha-256"),
        ]
        var hba = """
            # EmbeddedPostgres: unix socket. tongxin_pw exists so tests can see a wrong password rejected.
            local all tongxin_pw scram-sha-256
            local all all trust

            """
        if let tls = options.tls {
            for (source, name) in [(tls.certificateFile, "server.crt"), (tls.keyFile, "server.key")] {
                guard let contents = try? String(contentsOfFile: source, encoding: .utf8) else {
                    throw EmbeddedPostgresError(step: .configure, message: "cannot read \(source)")
                }
                try writeFile(dataDirectory + "/" + name, contents, append: false, account: account)
            }
            settings += [
                ("listen_addresses", tcpAddress), ("ssl", "on"),
                ("ssl_cert_file", "server.crt"), ("ssl_key_file", "server.key"),
            ]
            hba += """
                # TCP: TLS only.
                hostssl all tongxin_pw \(tcpAddress)/32 scram-sha-256
                hostssl all all \(tcpAddress)/32 trust
                hostnossl all all all reject

                """
        }
        settings += options.extraSettings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let conf = "\n# EmbeddedPostgres (throwaway server)\n"
            + settings.map { "\($0.0) = \(quoteSetting($0.1))\n" }.joined()
        try writeFile(dataDirectory + "/postgresql.conf", conf, append: true, account: account)
        try writeFile(dataDirectory + "/pg_hba.conf", hba, append: false, account: account)
    }

    static let tcpAddress = "127.0.0.1"

    /// A TCP port nothing listens on at 127.0.0.1 now (the kernel's pick for port 0).
    static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw EmbeddedPostgresError(step: .configure, message: "socket: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(tcpAddress)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            throw EmbeddedPostgresError(step: .configure, message: "no free TCP port: \(String(cString: strerror(errno)))")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `'value'` with quotes and backslashes doubled, as postgresql.conf reads it.
    static func quoteSetting(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func isSettingName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "."
        }
    }

    /// Writes (or appends to) a file in the cluster, leaving it owned by the server's account.
    private static func writeFile(_ path: String, _ contents: String, append: Bool, account: ServerAccount?) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            throw EmbeddedPostgresError(
                step: .configure, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes = Array(contents.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw EmbeddedPostgresError(
                    step: .configure, message: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(written)
        }
        if let account {
            do { try account.chown(path) } catch let error as EmbeddedPostgresError {
                throw EmbeddedPostgresError(step: .configure, message: error.message)
            }
        }
    }

    /// The server log when it says anything, else the command's own output.
    static func serverLogOrOutput(_ serverLog: String, _ output: String) -> String {
        let log = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
        let trimmedLog = log.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedLog.isEmpty { return output }
        let trimmedOutput = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmedOutput.isEmpty ? trimmedLog : trimmedOutput + "\n" + trimmedLog
    }

    /// After a failed start: stop whatever runs, remove the folder; errors are ignored.
    private static func discard(folder: String, binDirectory: String, account: ServerAccount?) {
        let data = folder + "/data"
        if FileManager.default.fileExists(atPath: data + "/postmaster.pid") {
            _ = try? Subprocess.run(
                binDirectory + "/pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"],
                as: account, in: folder)
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - Connecting

    /// A libpq key=value connection string:
    /// `host=<socketDirectory> port=<port> user=<superuser> dbname=<database>`.
    public func connectionString(database: String = "postgres") -> String {
        [
            ("host", socketDirectory), ("port", String(port)), ("user", superuser), ("dbname", database),
        ]
        .map { "\($0.0)=\(Self.quoteConnectionValue($0.1))" }
        .joined(separator: " ")
    }

    /// PGHOST, PGPORT, PGUSER, PGDATABASE=postgres and DATABASE_URL (= `connectionString()`).
    public var environment: [String: String] {
        [
            "PGHOST": socketDirectory,
            "PGPORT": String(port),
            "PGUSER": superuser,
            "PGDATABASE": "postgres",
            "DATABASE_URL": connectionString(),
        ]
    }

    /// Bare when it can be, else single-quoted with `\` and `'` escaped (libpq's conninfo rules).
    static func quoteConnectionValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0.isWhitespace || $0 == "'" || $0 == "\\" || $0 == "=" }
        guard needsQuotes else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    // MARK: - Stopping and restarting

    /// Stops the server (`pg_ctl -m fast stop`, then `-m immediate` if that fails; nothing when it
    /// is not running) and removes the whole private folder. Idempotent. Throws, keeping the folder,
    /// only when the server cannot be stopped, or when the folder cannot be removed.
    public func stop() throws {
        try stopped.withLock { isStopped in
            guard !isStopped else { return }
            try stopAndRemove()
            isStopped = true
        }
        Self.untrack(ObjectIdentifier(self))
    }

    /// Used by the atexit hook: like `stop()`, but gives up if another thread holds the lock.
    func stopAtExit() {
        _ = try? stopped.withLock(before: Date().addingTimeInterval(30)) { isStopped in
            guard !isStopped else { return }
            try stopAndRemove()
            isStopped = true
        }
    }

    private func stopAndRemove() throws {
        let fileManager = FileManager.default
        let pidFile = dataDirectory + "/postmaster.pid"
        if fileManager.fileExists(atPath: pidFile) {
            var failure: EmbeddedPostgresError?
            for mode in ["fast", "immediate"] {
                let result = try Subprocess.run(
                    binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"],
                    as: account, in: socketDirectory)
                if result.status == 0 || !fileManager.fileExists(atPath: pidFile) {
                    failure = nil
                    break
                }
                failure = EmbeddedPostgresError(
                    step: .stop, message: "pg_ctl -m \(mode) stop exited with status \(result.status)",
                    output: EmbeddedPostgresError.tail(Self.serverLogOrOutput(serverLog, result.output)))
            }
            if let failure { throw failure }
        }
        if fileManager.fileExists(atPath: socketDirectory) {
            do {
                try fileManager.removeItem(atPath: socketDirectory)
            } catch {
                throw EmbeddedPostgresError(step: .stop, message: "cannot remove \(socketDirectory): \(error)")
            }
        }
    }

    /// `pg_ctl -m fast -w restart`: same folder, socket and data; existing connections are cut.
    /// Throws after `stop()`.
    public func restart() throws {
        try stopped.withLock { isStopped in
            guard !isStopped else {
                throw EmbeddedPostgresError(
                    step: .restart, message: "the server in \(socketDirectory) was stopped and removed")
            }
            let result = try Subprocess.run(
                binDirectory + "/pg_ctl",
                ["-D", dataDirectory, "-l", serverLog, "-m", "fast", "-w", "-t", "120", "restart"],
                as: account, in: socketDirectory)
            if result.status != 0 {
                throw EmbeddedPostgresError(
                    step: .restart, message: "pg_ctl restart exited with status \(result.status)",
                    output: EmbeddedPostgresError.tail(Self.serverLogOrOutput(serverLog, result.output)))
            }
        }
    }
}

import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// A CA made for the test (openssl), a server certificate it signs for the name "localhost", and
/// a second CA that signed nothing of ours: what an operator's TLS set-up looks like, small.
struct TestCertificates {
    let folder: String
    var caCertificate: String { folder + "/ca.crt" }
    var otherCACertificate: String { folder + "/other-ca.crt" }
    var serverCertificate: String { folder + "/server.crt" }
    var serverKey: String { folder + "/server.key" }

    static func make() throws -> TestCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let certificates = TestCertificates(folder: folder)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let ca = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        for name in ["ca", "other-ca"] {
            try openssl(["req", "-x509"] + ec + ["-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).crt",
                         "-days", "2", "-subj", "/CN=Tongxin test \(name)"] + ca)
        }
        try openssl(["req"] + ec + ["-keyout", certificates.serverKey, "-out", "\(folder)/server.csr", "-subj", "/CN=localhost"])
        try Data("""
            subjectAltName = DNS:localhost
            basicConstraints = CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth

            """.utf8).write(to: URL(fileURLWithPath: folder + "/server.ext"))
        try openssl(["x509", "-req", "-in", "\(folder)/server.csr", "-CA", certificates.caCertificate,
                     "-CAkey", "\(folder)/ca.key", "-CAcreateserial", "-out", certificates.serverCertificate,
                     "-days", "2", "-extfile", "\(folder)/server.ext"])
        return certificates
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Tongxin against a server that requires TLS (`ssl = on`, TCP only through `hostssl`), reached
/// as an operator would: `sslmode=verify-full` with the CA's certificate as `sslrootcert`.
@Suite struct TLSTests {
    /// A throwaway server with TLS on TCP and a database `tongxin` on it, for `body`.
    func withTLSServer(_ body: (_ server: EmbeddedPostgres, _ certificates: TestCertificates) async throws -> Void) async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try EmbeddedPostgres.start(options: .init(tls: .init(
            certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey)))
        defer { try? server.stop() }
        try #require(server.tcpHost == "127.0.0.1")
        // Made over the unix socket, which the throwaway server trusts.
        try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: server.connectionString())) {
            try await $0.query("CREATE DATABASE tongxin")
        }
        try await body(server, certificates)
    }

    /// A libpq URI over TCP: `host` is the name the certificate is checked against.
    func url(_ server: EmbeddedPostgres, host: String = "localhost", _ parameters: String) -> String {
        "postgresql://\(server.superuser)@\(host):\(server.port)/tongxin?\(parameters)"
    }

    func verifyFull(_ server: EmbeddedPostgres, _ certificates: TestCertificates) -> String {
        url(server, "sslmode=verify-full&sslrootcert=\(certificates.caCertificate)")
    }

    @Test func verifyFullWorksForAConnectionAndThePool() async throws {
        try await withTLSServer { server, certificates in
            let configuration = PostgresConfiguration(connectionString: verifyFull(server, certificates))
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            let (ssl, n) = try await connection.query("""
                                SELECT ssl, \(i)::int FROM pg_stat_ssl WHERE pid = pg_backend_pid()
                                """).single().decode((Bool, Int).self)
                            #expect(ssl)
                            #expect(n == i)
                            try await connection.withTransaction { tx in
                                _ = try await tx.query("SELECT pg_sleep(0.01)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(pool.statistics.created <= 4)
            #expect(pool.statistics.created >= 1)
            await pool.close()
            // LISTEN/NOTIFY over TLS: the worker's wake-up path.
            let listener = try await PostgresConnection.connect(configuration: configuration)
            try await listener.listen(try PostgresIdentifier("tongxin_tls_test"))
            try await PostgresConnection.withConnection(configuration: configuration) {
                try await $0.query("SELECT pg_notify('tongxin_tls_test', 'hello')")
            }
            let notification = try await listener.nextNotification(timeout: .seconds(20))
            #expect(notification?.payload == "hello")
            await listener.close()
        }
    }

    @Test func theCLIAndTheWorkerRunOverVerifiedTLS() async throws {
        try await withTLSServer { server, certificates in
            let environment = ["DATABASE_URL": verifyFull(server, certificates), "TONGXIN_COUNTY": "leiyang", "USER": "staff-user"]
            func succeed(_ arguments: [String], _ environment: [String: String] = environment) async throws -> [String] {
                let outcome = try await Programs.run("tongxin", arguments, environment: environment)
                try #require(outcome.status == 0, "\(arguments.joined(separator: " ")): \(outcome.output)")
                return outcome.lines
            }
            #expect(try await succeed(["db", "check"]).first?.hasPrefix("connected: PostgreSQL") == true)
            for command in WorkflowProgramTests.reference { _ = try await succeed(command) }
            #expect(try await succeed([
                "proposal", "file", "--title", "关于加强农村饮水安全的建议", "--category", "社会民生",
                "--lead", "王委员", "--as-of", "2021-01-11T10:00",
            ]) == ["filed 2021-001 关于加强农村饮水安全的建议"])
            _ = try await succeed(["proposal", "review", "2021-001", "--register", "--as-of", "2021-01-20"])
            _ = try await succeed(["proposal", "assign", "2021-001", "--lead", "城管局", "--as-of", "2021-01-25"])
            #expect(try await succeed(["audit", "verify"]).first?.hasPrefix("audit log intact") == true)
            #expect(!(try await succeed(["report", "annual", "--year", "2021", "--format", "json"])).isEmpty)

            // The worker drains with the same URI; and with a plain conninfo plus libpq's own
            // PGSSLMODE / PGSSLROOTCERT variables.
            _ = try await succeed(["jobs", "enqueue", "effect", "--count", "200"])
            let drained = try await Programs.run("tongxin-worker", ["--drain", "--log-level", "notice"], environment: environment)
            #expect(drained.status == 0, "\(drained.output)")
            let byVariables = [
                "DATABASE_URL": "host=localhost port=\(server.port) user=\(server.superuser) dbname=tongxin",
                "PGSSLMODE": "verify-full", "PGSSLROOTCERT": certificates.caCertificate,
            ]
            _ = try await succeed(["jobs", "enqueue", "effect", "--count", "50"], byVariables)

            // A running worker (its connections, its LISTEN) over TLS runs the 50 enqueued meanwhile.
            // (It also schedules its own rollups, which are not counted.)
            let worker = try SpawnedProcess(
                Programs.directory + "/tongxin-worker", ["--log-level", "notice"],
                environment: Programs.cleanEnvironment(byVariables))
            let left = try await Programs.waitUntilZero(
                "SELECT count(*) FROM tongxin.job WHERE kind = 'effect' AND state <> 'completed'",
                on: PostgresConfiguration(connectionString: server.connectionString(database: "tongxin")))
            worker.signal(SIGTERM)
            let status = try await offCooperativePool { worker.waitForExit() }
            #expect(left == 0)
            #expect(status == 0, "\(worker.output)")
            #expect(!worker.output.contains("polling every"), "\(worker.output)")
            let (completed, sessions) = try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: verifyFull(server, certificates))) {
                try await $0.query("""
                    SELECT (SELECT count(*) FROM tongxin.job WHERE kind = 'effect' AND state = 'completed'),
                           (SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'tongxin' AND NOT s.ssl AND a.backend_type = 'client backend' AND a.client_addr IS NOT NULL)
                    """).single().decode((Int, Int).self)
            }
            #expect(completed == 250)
            #expect(sessions == 0)
        }
    }

    @Test func aWrongCAOrHostNameOrNoTLSFailsWithLibpqsReasonOnOneLine() async throws {
        try await withTLSServer { server, certificates in
            let cases: [(String, String)] = [
                (url(server, "sslmode=verify-full&sslrootcert=\(certificates.otherCACertificate)"), "certificate verify failed"),
                (url(server, host: "127.0.0.1", "sslmode=verify-full&sslrootcert=\(certificates.caCertificate)"),
                 "does not match host name \"127.0.0.1\""),
                (url(server, "sslmode=disable"), "no encryption"),
                // A fresh HOME has no ~/.postgresql/root.crt: libpq says where it looked.
                (url(server, "sslmode=verify-full"), "/.postgresql/root.crt\" does not exist"),
            ]
            for (url, reason) in cases {
                let cli = try await Programs.run("tongxin", ["db", "check"], environment: ["DATABASE_URL": url])
                #expect(cli.status == 1, "\(url): \(cli.output)")
                #expect(cli.lines.count == 1, "\(url): \(cli.output)")
                #expect(cli.output.contains(reason), "\(url): \(cli.output)")
                let worker = try await Programs.run("tongxin-worker", ["--drain"], environment: ["DATABASE_URL": url])
                #expect(worker.status != 0, "\(url): \(worker.output)")
                #expect(worker.lines.count == 1, "\(url): \(worker.output)")
                #expect(worker.output.contains(reason), "\(url): \(worker.output)")
            }
        }
    }
}

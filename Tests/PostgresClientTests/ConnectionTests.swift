import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ConnectionTests {
    @Test func selectOneReturnsOneAndReportsTheServerVersion() async throws {
        try await TestDatabase.withConnection { connection in
            let rows = try await connection.query("SELECT 1 AS one, \(41 + 1) AS answer")
            let (one, answer) = try rows.single().decode((Int32, Int).self)
            #expect(one == 1)
            #expect(answer == 42)
            #expect(connection.serverVersion >= 150000)
        }
    }

    @Test func connectReportsTheBackendPIDAndTheServerVersionTheServerHas() async throws {
        try await TestDatabase.withConnection { connection in
            let (pid, version) = try await connection.query(
                "SELECT pg_backend_pid(), current_setting('server_version_num')::int"
            ).single().decode((Int32, Int).self)
            #expect(connection.backendPID == pid)
            #expect(connection.serverVersion == version)
            #expect(await connection.isOpen)
            await connection.close()
            #expect(await connection.isOpen == false)
            let error = await postgresError { try await connection.query("SELECT 1") }
            #expect(error?.kind == .connectionClosed)
        }
    }

    @Test func aStatementOnAConnectionWhoseBackendWasTerminatedFailsAsAConnectionFailure() async throws {
        try await withConnections(2) { connections, _ in
            let (victim, admin) = (connections[0], connections[1])
            #expect(try await victim.scalar("SELECT 1", as: Int32.self) == 1)
            let terminated = try await admin.scalar("SELECT pg_terminate_backend(\(victim.backendPID))", as: Bool.self)
            #expect(terminated)
            for _ in 0..<200 {
                let alive = try await admin.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = \(victim.backendPID)", as: Int.self)
                if alive == 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            let error = await postgresError { try await victim.query("SELECT 1") }
            #expect(error?.isConnectionFailure == true, "\(String(describing: error?.debugDescription))")
            #expect(error.map { !$0.message.contains("\n") } == true)
            #expect(await victim.isOpen == false)
        }
    }

    @Test func connectToAnUnreachableSocketFailsWithLibpqsReasonOnOneLine() async throws {
        let configuration = PostgresConfiguration(connectionString: "host=/nonexistent port=5432")
        let error = await postgresError { _ = try await PostgresConnection.connect(configuration: configuration) }
        let failure = try #require(error)
        #expect(failure.kind == .connectionFailed)
        #expect(failure.message.contains("/nonexistent/.s.PGSQL.5432"))
        #expect(!failure.message.contains("\n"))
        #expect(!failure.description.contains("\n"))
    }

    @Test func connectToAMissingDatabaseFailsWithTheServersMessageOnOneLine() async throws {
        let server = try TestDatabase.serverConfiguration()
        let missing = "no_such_db_" + UUID().uuidString.prefix(8).lowercased()
        let error = await postgresError {
            _ = try await PostgresConnection.connect(configuration: server.with(database: missing))
        }
        let failure = try #require(error)
        #expect(failure.kind == .connectionFailed)
        #expect(failure.message.contains("database \"\(missing)\" does not exist"))
        #expect(!failure.message.contains("\n"))
    }

    @Test func connectWithAWrongPasswordFailsWithPasswordAuthenticationFailed() async throws {
        let server = try TestDatabase.serverConfiguration()
        // The embedded server's pg_hba.conf asks exactly this role for a scram password.
        try await TestDatabase.ensurePasswordRole()
        let base = try #require(server.connectionString)

        let wrong = PostgresConfiguration(connectionString: base + " user=tongxin_pw password=wrong")
        let error = await postgresError { _ = try await PostgresConnection.connect(configuration: wrong) }
        let failure = try #require(error)
        #expect(failure.kind == .connectionFailed)
        #expect(failure.message.contains("password authentication failed"))
        #expect(!failure.message.contains("\n"))

        // The same role with the right password gets in, so it was the password that failed.
        let right = PostgresConfiguration(connectionString: base + " user=tongxin_pw password=right")
        let connection = try await PostgresConnection.connect(configuration: right)
        let user = try await connection.scalar("SELECT current_user::text", as: String.self)
        await connection.close()
        #expect(user == "tongxin_pw")
    }

    @Test(arguments: [
        ("host=/tmp user=clerk password=secret1 dbname=tongxin", "secret1"),
        ("postgresql://clerk:secret2@db.example/tongxin", "secret2"),
        ("postgresql://clerk@db.example/tongxin?password=secret3&sslmode=disable", "secret3"),
        ("host=/tmp user=clerk password = secret4 dbname=tongxin", "secret4"),
        ("host=/tmp user=clerk password='secret5 with spaces' dbname=tongxin", "spaces"),
    ])
    func redactedConnectionStringHidesThePasswordInEveryLibpqForm(connectionString: String, secret: String) {
        // All of these are valid libpq connection strings (spaces around = and quoted values are allowed).
        let redacted = PostgresConfiguration(connectionString: connectionString).redactedConnectionString
        #expect(!redacted.contains(secret), "\(redacted)")
        #expect(redacted.contains("clerk"))
    }

    @Test func failedConnectsLeakNoFileDescriptors() async throws {
        let unreachable = PostgresConfiguration(connectionString: "host=/nonexistent port=5432")
        let server = try TestDatabase.serverConfiguration()
        let missing = server.with(database: "no_such_db_leak_check")
        // Warm up (the first connect loads libraries, resolves names, …).
        for _ in 0..<5 { _ = try? await PostgresConnection.connect(configuration: unreachable) }
        _ = try? await PostgresConnection.connect(configuration: missing)

        // Other tests run in parallel and open and close connections of their own, so one
        // measurement may be off by a few dozen; a leak adds at least one descriptor per failed
        // connect (300 a round) in every round. Up to three rounds, one clean one suffices.
        var growth: [Int] = []
        for _ in 0..<3 {
            let before = await settledDescriptorCount()
            var failures = 0
            for _ in 0..<200 {
                do {
                    _ = try await PostgresConnection.connect(configuration: unreachable)
                } catch let error as PostgresError where error.kind == .connectionFailed {
                    failures += 1
                }
            }
            for _ in 0..<100 {
                do {
                    _ = try await PostgresConnection.connect(configuration: missing)
                } catch let error as PostgresError where error.kind == .connectionFailed {
                    failures += 1
                }
            }
            #expect(failures == 300)
            let after = await settledDescriptorCount()
            growth.append(after - before)
            if after - before < 40 { break }
        }
        #expect(growth.contains { $0 < 40 }, "open descriptors grew by \(growth) in each round of 300 failed connects")
    }

    @Test func closedConnectionsLeakNoDescriptorsOrThreads() async throws {
        try await TestDatabase.withDatabase { configuration in
            func openAndClose(_ count: Int) async throws {
                for _ in 0..<count {
                    try await PostgresConnection.withConnection(configuration: configuration) { try await $0.query("SELECT 1") }
                }
                // A dropped connection (never closed) is finished by its deinit.
                for _ in 0..<count {
                    _ = try await PostgresConnection.connect(configuration: configuration)
                }
            }
            try await openAndClose(5)  // warm-up
            // As above: other tests come and go, so up to three rounds, one clean one suffices.
            var growth: [(Int, Int)] = []
            for _ in 0..<3 {
                let (fds, threads) = (await settledDescriptorCount(), await settledThreadCount())
                try await openAndClose(100)
                let grown = (await settledDescriptorCount() - fds, await settledThreadCount() - threads)
                growth.append(grown)
                if grown.0 < 40, grown.1 < 40 { break }
            }
            #expect(growth.contains { $0.0 < 40 && $0.1 < 40 }, "descriptors and threads grew by \(growth) per round of 200 connections")
        }
    }

    /// The lowest thread count of this process seen over a short while.
    private func settledThreadCount() async -> Int {
        var lowest = Int.max
        for _ in 0..<20 {
            let count = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
            lowest = min(lowest, count)
            try? await Task.sleep(for: .milliseconds(10))
        }
        return lowest
    }

    /// The lowest descriptor count seen over a short while (threads of closed connections exit
    /// asynchronously and other tests come and go).
    private func settledDescriptorCount() async -> Int {
        var lowest = Int.max
        for _ in 0..<10 {
            lowest = min(lowest, openFileDescriptorCount())
            try? await Task.sleep(for: .milliseconds(30))
        }
        return lowest
    }
}

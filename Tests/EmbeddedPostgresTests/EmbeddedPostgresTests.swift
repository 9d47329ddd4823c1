import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct EmbeddedPostgresTests {
    @Test func twoServersRunSideBySideAndStopRemovesFolderAndProcess() async throws {
        let (first, second) = try await offCooperativePool { (try EmbeddedPostgres.start(), try EmbeddedPostgres.start()) }
        #expect(first.socketDirectory != second.socketDirectory)
        // PostgreSQL refuses to run as root: as root the cluster belongs to user postgres.
        let owner = try FileManager.default.attributesOfItem(atPath: first.dataDirectory)[.ownerAccountName] as? String
        let me = String(cString: getpwuid(geteuid()).pointee.pw_name)
        #expect(owner == (geteuid() == 0 ? "postgres" : me))
        var pids: [Int32] = []
        for server in [first, second] {
            let configuration = PostgresConfiguration(connectionString: server.connectionString())
            let (pid, listen, fsync) = try await PostgresConnection.withConnection(configuration: configuration) { connection in
                try await connection.query(
                    "SELECT pg_backend_pid(), current_setting('listen_addresses'), current_setting('fsync')"
                ).single().decode((Int32, String, String).self)
            }
            #expect(listen == "")  // unix socket only: no TCP port to clash on
            #expect(fsync == "off")
            pids.append(pid)
        }
        let postmasters = try [first, second].map { server -> Int32 in
            let text = try String(contentsOfFile: server.dataDirectory + "/postmaster.pid", encoding: .utf8)
            return Int32(text.split(separator: "\n").first ?? "") ?? -1
        }
        try await offCooperativePool {
            try first.stop()
            try second.stop()
            try first.stop()  // idempotent
        }
        for server in [first, second] {
            #expect(!FileManager.default.fileExists(atPath: server.socketDirectory))
        }
        for pid in postmasters {
            #expect(pid > 0)
            // pg_ctl stop returns once the pid file is gone; the process ends moments later.
            var running = true
            for _ in 0..<500 {
                running = isRunning(pid)
                if !running { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!running, "postmaster \(pid) still runs")
        }
    }

    @Test func aServerRefusesTheWrongPasswordForThePasswordRole() async throws {
        let server = try await offCooperativePool { try EmbeddedPostgres.start() }
        let base = server.connectionString()
        try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: base)) {
            try await $0.query("CREATE ROLE tongxin_pw LOGIN PASSWORD 'right'")
        }
        let wrong = PostgresConfiguration(connectionString: base + " user=tongxin_pw password=wrong")
        let error = await thrownError { _ = try await PostgresConnection.withConnection(configuration: wrong) { _ in } }
        #expect((error as? PostgresError)?.message.contains("password authentication failed") == true)
        let right = PostgresConfiguration(connectionString: base + " user=tongxin_pw password=right")
        let user = try await PostgresConnection.withConnection(configuration: right) {
            try await $0.query("SELECT current_user").single().decode(String.self)
        }
        #expect(user == "tongxin_pw")
        try await offCooperativePool { try server.stop() }
    }

    @Test func devdbRunsTheCommandAgainstAThrowawayServerAndReturnsItsStatus() async throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent().path
        let marker = NSTemporaryDirectory() + "devdb-\(UUID().uuidString)"
        let script = "echo \"$PGHOST\" > \(marker); psql -XAtqc 'select 40 + 2' >> \(marker); exit 3"
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/bin:/bin"
        let child = try SpawnedProcess(directory + "/tongxin-devdb", ["run", "--", "sh", "-c", script], environment: environment)
        let status = try await offCooperativePool { child.waitForExit() }
        defer { try? FileManager.default.removeItem(atPath: marker) }
        #expect(status == 3, "\(child.output)")
        let lines = try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.last == "42")
        // The server's folder (PGHOST) is gone once devdb returns.
        let folder = try #require(lines.first)
        #expect(folder.contains("tongxin-pg-"))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test func devdbWithoutACommandIsAUsageError() async throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent().path
        let child = try SpawnedProcess(directory + "/tongxin-devdb", ["run"], environment: ProcessInfo.processInfo.environment)
        let status = try await offCooperativePool { child.waitForExit() }
        #expect(status == 2)
        #expect(child.output.split(separator: "\n").count == 1)
    }
}


/// True while `pid` exists and is not a zombie.
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // "pid (comm) S …": the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

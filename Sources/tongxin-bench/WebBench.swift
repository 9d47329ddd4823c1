import Accounts
import Counties
import EmbeddedPostgres
import Foundation
import Migrations
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

extension Bench {
    /// The web application under load (wrk from Debian, 32 connections, signed in): a unit's
    /// inbox with 50 assignments and a proposal page, beside a static route of the same server
    /// in the same run; the web process's peak resident set under that load.
    static func web(_ pool: PostgresPool) async throws {
        let folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "tongxin-bench").deletingLastPathComponent()
        let program = folder.appendingPathComponent("tongxin-web").path
        guard FileManager.default.isExecutableFile(atPath: program) else { throw BenchError("no tongxin-web program next to the benchmark at \(program)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            unmeasured("web: the unit's inbox under wrk", reason: "wrk is not installed (make deps installs it)", target: .atMost(30, "30 ms"))
            return
        }
        // A live county: one unit with 50 assignments, its account signed in.
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        _ = try await registry.migrateControl()
        let code = try CountyCode("bench_web")
        _ = try await registry.create(code: code, name: "网测县", region: nil)
        let staff = try WorkflowStore(pool: pool, county: code, principal: Principal(login: "bench.staff", role: .staff, counties: [code.value]))
        try await staff.addSector("经济界")
        try await staff.addMember("王委员", sector: "经济界")
        try await staff.addUnit("城管局")
        try await staff.addUnit("林业局")
        try await staff.openSession(year: staff.today.year, name: "会议", openedOn: nil, closedOn: nil)
        var numbers: [String] = []
        for i in 0..<50 {
            let number = try await staff.file(NewProposal(
                title: "关于城区第\(i + 1)条道路整治的建议", body: String(repeating: "道路破损，建议整治。", count: 40),
                category: .urbanRural, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局", co: i.isMultiple(of: 5) ? ["林业局"] : [])
            numbers.append(number)
        }
        let accounts = AccountStore(pool: pool, actor: "bench")
        for login in ["bench.unit"] {
            try await pool.query("DELETE FROM tongxin.account_session WHERE account_id IN (SELECT id FROM tongxin.account WHERE login = \(login))")
            try await pool.query("DELETE FROM tongxin.account_event WHERE account_id IN (SELECT id FROM tongxin.account WHERE login = \(login))")
            try await pool.query("DELETE FROM tongxin.account WHERE login = \(login)")
        }
        let (_, code1) = try await accounts.add(NewAccount(login: "bench.unit", role: .unit, counties: [code], unit: "城管局"))
        try await accounts.changePassword(login: "bench.unit", current: code1, new: "台阶-石桥-柳树-2026")
        let token = try await accounts.signIn(login: "bench.unit", secret: "台阶-石桥-柳树-2026").token

        let portFile = NSTemporaryDirectory() + "tongxin-bench-web-\(getpid())"
        try? FileManager.default.removeItem(atPath: portFile)
        // Its connections carry their own application name, so their server processes can be
        // found and their CPU time read.
        var environment = ProcessInfo.processInfo.environment
        environment["PGAPPNAME"] = Self.applicationName
        let server = try SpawnedProcess(program, ["--port", "0", "--port-file", portFile, "--log-level", "warning"], environment: environment)
        defer {
            server.signal(SIGTERM)
            _ = server.waitForExit()
            try? FileManager.default.removeItem(atPath: portFile)
        }
        var port = ""
        for _ in 0..<300 where port.isEmpty {
            port = ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if port.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard !port.isEmpty else { throw BenchError("tongxin-web did not start: \(server.output.suffix(300))") }
        let base = "http://127.0.0.1:\(port)"
        let duration = max(5, Int(seconds * 2))

        // Each page first once, to check it answers what it should.
        let inbox = try wrk(base + "/c/bench_web/", token: token, seconds: 1, connections: 1)
        guard inbox.ok else { throw BenchError("the inbox did not answer 200: \(inbox.output.suffix(300))") }

        func run(_ name: String, _ path: String) async throws -> WrkResult {
            let before = try await cpu(server: server.pid, pool)
            var result = try wrk(base + path, token: token, seconds: duration, connections: 32)
            guard result.ok else { throw BenchError("wrk \(name): non-2xx answers or errors: \(result.output.suffix(400))") }
            let after = try await cpu(server: server.pid, pool)
            if let before, let after, result.requests > 0 {
                result.webCPU = (after.web - before.web) / Double(result.requests) * 1000
                result.databaseCPU = after.database.reduce(0) { sum, backend in
                    sum + backend.value - (before.database[backend.key] ?? 0)
                } / Double(result.requests) * 1000
            }
            return result
        }
        let staticRoute = try await run("static", "/static/app.css")
        // One round trip through the pool and nothing else: the data layer's share of a page.
        let health = try await run("healthz", "/healthz")
        let inboxLoad = try await run("inbox", "/c/bench_web/")
        let proposal = try await run("proposal", "/c/bench_web/p/\(numbers[7])")
        let staticAgain = try await run("static", "/static/app.css")
        let staticRate = (staticRoute.rate + staticAgain.rate) / 2
        let rss = peakRSS(pid: server.pid)

        report(String(format: "web: static route /static/app.css, 32 connections (mean of 2 runs; p99 %.1f ms)", staticRoute.p99),
               String(format: "%.0f req/s", staticRate))
        for (name, result) in [("the unit's inbox (50 assignments)", inboxLoad), ("a proposal page (as its unit)", proposal)] {
            report(String(format: "web: %@, 32 connections, signed in: p99 (%.0f req/s)", name, result.rate),
                   String(format: "%.1f ms", result.p99), value: result.p99, target: .atMost(30, "30 ms"))
            report("web: \(name): rate against the static route's",
                   String(format: "%.2f×", result.rate / staticRate), value: result.rate / staticRate, target: .atLeast(0.25, "0.25×"))
        }
        // What the rates are made of: CPU time per request, of the server and of PostgreSQL's
        // processes serving it, and the rate the machine's cores would allow if the two had them
        // to themselves (wrk takes its share too).
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        report(String(format: "web: /healthz (one SELECT 1 through the pool), 32 connections: p99 %.1f ms", health.p99),
               String(format: "%.0f req/s (%.2f× the static route's)", health.rate, health.rate / staticRate))
        for (name, result) in [("the static route", staticRoute), ("/healthz", health), ("the unit's inbox", inboxLoad), ("a proposal page", proposal)] {
            guard let web = result.webCPU, let database = result.databaseCPU else {
                report("web: CPU per request, \(name)", "not measured (PostgreSQL's processes are not on this machine)")
                continue
            }
            report("web: CPU per request, \(name)", String(
                format: "tongxin-web %.3f ms + PostgreSQL %.3f ms; %.0f cores allow at most %.0f req/s (%.2f× the static route's measured rate)",
                web, database, cores, cores * 1000 / (web + database), cores * 1000 / (web + database) / staticRate))
        }
        report("web: tongxin-web's peak resident set under that load", String(format: "%.1f MiB", rss), value: rss, target: .atMost(60, "60 MB"))
    }

    struct WrkResult {
        var rate: Double
        var p99: Double
        var ok: Bool
        var output: String
        var requests = 0
        /// CPU milliseconds per request: the server's, and its PostgreSQL processes'.
        var webCPU: Double?
        var databaseCPU: Double?
    }

    static let applicationName = "tongxin-web-bench"

    /// CPU seconds so far of the server and of each PostgreSQL process serving it; nil when
    /// those processes are not on this machine.
    static func cpu(server: Int32, _ pool: PostgresPool) async throws -> (web: Double, database: [Int32: Double])? {
        guard let web = cpuSeconds(pid: server) else { return nil }
        let pids = try await pool.query("SELECT pid FROM pg_stat_activity WHERE application_name = \(applicationName)").decode(Int32.self)
        var database: [Int32: Double] = [:]
        for pid in pids {
            guard let seconds = cpuSeconds(pid: pid) else { return nil }
            database[pid] = seconds
        }
        return database.isEmpty ? nil : (web, database)
    }

    /// A process's user and system CPU time (/proc/PID/stat), in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Runs wrk (2 threads) and reads its requests/s and its 99th percentile latency (ms).
    static func wrk(_ url: String, token: String, seconds: Int, connections: Int) throws -> WrkResult {
        let child = try SpawnedProcess("/usr/bin/wrk", [
            "-t", "\(min(2, connections))", "-c", "\(connections)", "-d", "\(seconds)s", "--latency", "-H", "Cookie: tx_session=\(token)", url,
        ], environment: ProcessInfo.processInfo.environment)
        let status = child.waitForExit()
        let output = child.output
        var rate = 0.0, p99 = 0.0, requests = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.first == "Requests/sec:", fields.count > 1 { rate = Double(fields[1]) ?? 0 }
            if fields.first == "99%", fields.count > 1 { p99 = milliseconds(String(fields[1])) }
            if fields.count > 2, fields[1] == "requests", fields[2] == "in" { requests = Int(fields[0]) ?? 0 }
        }
        let ok = status == 0 && rate > 0 && !output.contains("Non-2xx") && !output.contains("Socket errors")
        return WrkResult(rate: rate, p99: p99, ok: ok, output: output, requests: requests)
    }

    /// wrk's latency text (850.00us, 12.34ms, 1.20s) in milliseconds.
    static func milliseconds(_ text: String) -> Double {
        for (suffix, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
            return (Double(text.dropLast(suffix.count)) ?? 0) * factor
        }
        return Double(text) ?? 0
    }

    /// A process's peak resident set (VmHWM), in MiB.
    static func peakRSS(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? 0
            return kib / 1024
        }
        return 0
    }
}

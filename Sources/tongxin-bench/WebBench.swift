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
        let server = try SpawnedProcess(program, ["--port", "0", "--port-file", portFile, "--log-level", "warning"], environment: ProcessInfo.processInfo.environment)
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

        func run(_ name: String, _ path: String) throws -> WrkResult {
            let result = try wrk(base + path, token: token, seconds: duration, connections: 32)
            guard result.ok else { throw BenchError("wrk \(name): non-2xx answers or errors: \(result.output.suffix(400))") }
            return result
        }
        let staticRoute = try run("static", "/static/app.css")
        let inboxLoad = try run("inbox", "/c/bench_web/")
        let proposal = try run("proposal", "/c/bench_web/p/\(numbers[7])")
        let staticAgain = try run("static", "/static/app.css")
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
        report("web: tongxin-web's peak resident set under that load", String(format: "%.1f MiB", rss), value: rss, target: .atMost(60, "60 MB"))
    }

    struct WrkResult {
        var rate: Double
        var p99: Double
        var ok: Bool
        var output: String
    }

    /// Runs wrk (2 threads) and reads its requests/s and its 99th percentile latency (ms).
    static func wrk(_ url: String, token: String, seconds: Int, connections: Int) throws -> WrkResult {
        let child = try SpawnedProcess("/usr/bin/wrk", [
            "-t", "\(min(2, connections))", "-c", "\(connections)", "-d", "\(seconds)s", "--latency", "-H", "Cookie: tx_session=\(token)", url,
        ], environment: ProcessInfo.processInfo.environment)
        let status = child.waitForExit()
        let output = child.output
        var rate = 0.0, p99 = 0.0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.first == "Requests/sec:", fields.count > 1 { rate = Double(fields[1]) ?? 0 }
            if fields.first == "99%", fields.count > 1 { p99 = milliseconds(String(fields[1])) }
        }
        let ok = status == 0 && rate > 0 && !output.contains("Non-2xx") && !output.contains("Socket errors")
        return WrkResult(rate: rate, p99: p99, ok: ok, output: output)
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

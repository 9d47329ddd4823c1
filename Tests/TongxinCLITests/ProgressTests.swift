import Foundation
import EmbeddedPostgres
import PostgresClient
import PostgresTestSupport
import Testing
@testable import TongxinCLI

@Suite struct ProgressTests {
    @Test func theBarShowsDoneTotalRateEtaAndFailures() {
        let line = Progress.bar(done: 120, total: 3000, elapsed: .seconds(2), failures: 1, width: 10)
        #expect(line == "[----------] 120/3000  60.0/s  ETA 48s  1 failed")
        let half = Progress.bar(done: 50, total: 100, elapsed: .seconds(5), failures: 0, width: 10)
        #expect(half == "[#####-----] 50/100  10.0/s  ETA 5s  0 failed")
        let done = Progress.bar(done: 100, total: 100, elapsed: .seconds(4), failures: 0, width: 4)
        #expect(done == "[####] 100/100  25.0/s  done  0 failed")
    }

    @Test func onATerminalMigrateUpDrawsABarAndWithoutOnePrintsLines() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            for code in ["p1", "p2", "p3"] {
                _ = try await Programs.run("tongxin", ["county", "create", code, "--name", "县"], environment: ["DATABASE_URL": url])
            }
            // script(1) gives the program a pseudo-terminal.
            let command = "\(Programs.directory)/tongxin migrate up --all --jobs 1"
            let child = try SpawnedProcess("/usr/bin/script", ["-qefc", command, "/dev/null"],
                                           environment: Programs.cleanEnvironment(["DATABASE_URL": url, "TERM": "xterm"]))
            let status = try await offCooperativePool { child.waitForExit() }
            #expect(status == 0, "\(child.output)")
            #expect(child.output.contains("\r\u{1B}[K[########################] 3/3"))
            #expect(!child.output.contains("[1/3] p1: current"))
            let plain = try await Programs.run("tongxin", ["migrate", "up", "--all", "--jobs", "1"], environment: ["DATABASE_URL": url])
            #expect(plain.lines.prefix(3) == ["[1/3] p1: current", "[2/3] p2: current", "[3/3] p3: current"])
            #expect(!plain.output.contains("\u{1B}"))
        }
    }
}

import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase

/// The account commands as an operator runs them.
@Suite struct AccountProgramTests {
    @Test func importsMakeAccountsOnRequestAllOrNoneAndAPasswordComesFromStandardInput() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            func tongxin(_ arguments: [String]) async throws -> Programs.Outcome {
                try await Programs.run("tongxin", arguments, environment: ["DATABASE_URL": url, "TONGXIN_COUNTY": "acc"])
            }
            #expect(try await tongxin(["county", "create", "acc", "--name", "账号县"]).status == 0)
            #expect(try await tongxin(["account", "add", "acc.staff", "--role", "staff", "--county", "acc"]).status == 0)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-accounts-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let members = folder.appendingPathComponent("members.csv").path
            try "姓名,界别,账号\n王委员,经济界,wang.wy\n李委员,经济界,\n".write(toFile: members, atomically: true, encoding: .utf8)
            let imported = try await tongxin(["member", "import", members, "--accounts", "--as", "acc.staff"])
            #expect(imported.status == 0, "\(imported.output)")
            // CSV lines end in CRLF (Excel's).
            let lines = imported.output.split(whereSeparator: \.isNewline).map(String.init)
            #expect(lines.first == "imported 2 members from \(members)")
            #expect(lines.dropFirst().first == "login,name,code")
            let rows = lines.dropFirst(2).map { $0.split(separator: ",").map(String.init) }
            #expect(rows.count == 2 && rows[0].prefix(2) == ["wang.wy", "王委员"] && rows[1][0].hasPrefix("acc.m") && rows[1][1] == "李委员")
            // A second file whose login exists: the rows are imported, no account is made, one line says so.
            let more = folder.appendingPathComponent("more.csv").path
            try "name,login\n赵委员,zhao.wy\n钱委员,wang.wy\n".write(toFile: more, atomically: true, encoding: .utf8)
            let clash = try await tongxin(["member", "import", more, "--accounts", "--as", "acc.staff"])
            #expect(clash.status == 1)
            #expect(clash.lines.contains("imported 2 members from \(more)"))
            #expect(clash.lines.contains("tongxin: --accounts: the rows were imported, no account was made: account 2 (钱委员): login: an account wang.wy exists already"),
                    "\(clash.output)")
            let listed = try await tongxin(["account", "list", "--county", "acc", "--role", "member", "--format", "csv"])
            #expect(listed.output.split(whereSeparator: \.isNewline).count == 3, "\(listed.output)")  // header + 2: zhao.wy was not made

            // The password: read from standard input, never from the command line; the rules apply.
            let code = try #require(rows.first?.last)
            func password(_ input: String) async throws -> (Int32, String) {
                let script = "printf '%s' \"$INPUT\" | \"$TONGXIN\" account password wang.wy"
                let child = try SpawnedProcess("/bin/sh", ["-c", script], environment: Programs.cleanEnvironment([
                    "DATABASE_URL": url, "INPUT": input, "TONGXIN": Programs.directory + "/tongxin",
                ]))
                let status = await Task.detached { child.waitForExit() }.value
                return (status, child.output)
            }
            let weak = try await password("\(code)\npassword123\npassword123\n")
            #expect(weak.0 == 1 && weak.1.contains("new password: is a common password") && !weak.1.contains("password123"), "\(weak.1)")
            let good = try await password("\(code)\n青山-绿水-2026-秋天\n青山-绿水-2026-秋天\n")
            #expect(good.0 == 0 && good.1.contains("password of wang.wy changed"), "\(good.1)")
            let shown = try await tongxin(["account", "show", "wang.wy", "--format", "json"])
            #expect(shown.output.contains("\"has_password\" : true") && shown.output.contains("\"must_change\" : false"), "\(shown.output)")
            // A non-operator may not manage accounts.
            let refused = try await tongxin(["account", "reset", "wang.wy", "--as", "acc.staff"])
            #expect(refused.status == 1 && refused.lines == ["tongxin: not allowed: acc.staff (staff) may not account.manage: it is the operator's"],
                    "\(refused.output)")
        }
    }
}

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

    @Test func aStatusChangedInSQLMakesTheDeepVerifyFailNamingItAndOnlyOperatorsRunTheDeployment() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            func tongxin(_ arguments: [String], user: String? = nil) async throws -> Programs.Outcome {
                try await Programs.run("tongxin", arguments, environment: [
                    "DATABASE_URL": url + (user.map { " user=\($0)" } ?? ""), "TONGXIN_COUNTY": "deep",
                ])
            }
            #expect(try await tongxin(["county", "create", "deep", "--name", "核查县", "--purpose", "training"]).status == 0)
            for command in [
                ["sector", "add", "经济界"], ["member", "add", "王委员", "--sector", "经济界"],
                ["session", "open", "--year", "2021", "--name", "会议"],
                ["proposal", "file", "--title", "关于核查的建议", "--category", "economy", "--lead", "王委员", "--as-of", "2021-02-01"],
                ["proposal", "review", "2021-001", "--register", "--as-of", "2021-02-02"],
            ] {
                let run = try await tongxin(command)
                try #require(run.status == 0, "\(command): \(run.output)")
            }
            let clean = try await tongxin(["audit", "verify", "--deep"])
            #expect(clean.status == 0 && clean.lines.count == 1
                && clean.output.hasSuffix("entries; the tables agree with it (1 proposals, 0 micro-suggestions)\n"), "\(clean.output)")
            try await PostgresConnection.withConnection(configuration: configuration) { c in
                try await c.query("UPDATE county_deep.proposal SET status = 'closed' WHERE number = '2021-001'")
            }
            let deep = try await tongxin(["audit", "verify", "--deep"])
            #expect(deep.status == 1)
            #expect(deep.lines.contains("proposal 2021-001: status is closed in the table, registered by the audit log"), "\(deep.output)")
            #expect(deep.lines.contains("tongxin: audit verify --deep: 1 differences between the audit log and the tables (above)"), "\(deep.output)")
            // The plain chain does not see it; the deep check does.
            #expect(try await tongxin(["audit", "verify"]).status == 0)

            // A login linked to a staff account may not run the deployment's commands.
            let login = "deep_staff_\(UUID().uuidString.prefix(8).lowercased())"
            try await PostgresConnection.withConnection(configuration: configuration) { c in
                try await c.executeUnsafeScript("CREATE ROLE \(login) LOGIN; GRANT tongxin_county_deep TO \(login);")
            }
            #expect(try await tongxin(["account", "add", "deep.staff", "--role", "staff", "--county", "deep", "--db-login", login]).status == 0)
            for (command, action) in [
                (["jobs", "stats"], "jobs"), (["county", "create", "deep2", "--name", "x"], "county.manage"),
                (["migrate", "status"], "migrate"), (["exchange", "list"], "exchange"), (["account", "list"], "account.manage"),
            ] {
                let refused = try await tongxin(command, user: login)
                #expect(refused.status == 1 && refused.lines == ["tongxin: not allowed: deep.staff (staff) may not \(action): it is the operator's"],
                        "\(command): \(refused.output)")
            }
            // …and works in its county as itself.
            let listed = try await tongxin(["proposal", "list", "--format", "csv"], user: login)
            #expect(listed.status == 0 && listed.output.contains("2021-001"), "\(listed.output)")
            try await PostgresConnection.withConnection(configuration: configuration) { c in
                try await c.executeUnsafeScript("DROP OWNED BY \(login); DROP ROLE \(login);")
            }
        }
    }

    /// A file the programs replace (export, key, bundle, HTML) is never something else: renaming
    /// over a device, folder or pipe would destroy it (as root, /dev/null itself).
    @Test func writersRefuseToReplaceWhatIsNotARegularFile() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            func tongxin(_ arguments: [String]) async throws -> Programs.Outcome {
                try await Programs.run("tongxin", arguments, environment: ["DATABASE_URL": url, "TONGXIN_COUNTY": "outs"])
            }
            #expect(try await tongxin(["county", "create", "outs", "--name", "输出县", "--purpose", "training"]).status == 0)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-outputs-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pipe = folder + "/pipe"
            #expect(mkfifo(pipe, 0o600) == 0)
            for (arguments, field) in [
                (["county", "export", "outs", "--to", folder], "--to"), (["county", "export", "outs", "--to", pipe], "--to"),
                (["report", "annual", "--year", "2021", "--html", pipe], "--html"),
                (["exchange", "keygen", "--name", "测试", "--key", folder, "--force"], "--key"),
            ] {
                let refused = try await tongxin(arguments)
                #expect(refused.status == 1 && refused.lines.count == 1 && refused.output.contains("\(field): ")
                        && refused.output.contains("exists and is not a regular file"), "\(arguments): \(refused.output)")
            }
            var info = stat()
            #expect(lstat(pipe, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
            var isFolder: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue)
        }
    }
}

import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// `tongxin county …` and `tongxin migrate …` as an operator runs them.
@Suite struct CountyProgramTests {
    func tongxin(_ arguments: [String], _ configuration: PostgresConfiguration) async throws -> Programs.Outcome {
        try await Programs.run("tongxin", arguments, environment: ["DATABASE_URL": Programs.url(configuration)])
    }

    @Test func aDroppedCountysAccountsStayDisabledAndItsCodeCanBeUsedAgain() async throws {
        try await TestDatabase.withDatabase { configuration in
            #expect(try await tongxin(["county", "create", "dd_gone", "--name", "旧县"], configuration).status == 0)
            let added = try await tongxin(["account", "add", "dd.staff", "--role", "staff", "--county", "dd_gone"], configuration)
            #expect(added.status == 0, "\(added.output)")
            #expect(try await tongxin(["county", "archive", "dd_gone"], configuration).status == 0)
            let dropped = try await tongxin(["county", "drop", "dd_gone", "--confirm", "dd_gone"], configuration)
            #expect(dropped.lines == [
                "dropped county dd_gone; 0 queued job(s) cancelled, 0 undelivered notification(s) deleted; "
                    + "1 account(s) had it: 1 disabled (their only county), 0 lost it",
            ], "\(dropped.output)")
            // The same code again is another county: the old account does not come back with it.
            #expect(try await tongxin(["county", "create", "dd_gone", "--name", "新县"], configuration).status == 0)
            let enable = try await tongxin(["account", "enable", "dd.staff"], configuration)
            #expect(enable.status == 1)
            #expect(enable.lines == ["tongxin: login: dd.staff belonged to county dd_gone, which was dropped; add a new account instead"], "\(enable.output)")
            let shown = try await tongxin(["account", "show", "dd.staff"], configuration)
            #expect(shown.lines.contains { $0.hasPrefix("state") && $0.contains("disabled") }, "\(shown.output)")
        }
    }

    @Test func createListShowSetArchiveAndStatusWork() async throws {
        try await TestDatabase.withDatabase { configuration in
            let created = try await tongxin(["county", "create", "leiyang", "--name", "耒阳市", "--region", "湖南省衡阳市"], configuration)
            #expect(created.status == 0, "\(created.output)")
            #expect(created.lines == ["created county leiyang (耒阳市) in schema county_leiyang, role tongxin_county_leiyang"])
            let list = try await tongxin(["county", "list"], configuration)
            #expect(list.lines.count == 3 && list.lines[2].hasPrefix("leiyang  active  耒阳市  湖南省衡阳市  county_leiyang  "), "\(list.output)")
            let listed = try await tongxin(["county", "list", "--format", "json"], configuration)
            let rows = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]]
            #expect(rows?.map { $0["code"] as? String } == ["leiyang"])
            #expect((rows?.first?["settings"] as? [String: String])?["evaluation_window_days"] == "30")
            let csv = try await tongxin(["county", "list", "--format", "csv"], configuration)
            #expect(csv.output.hasPrefix("code,status,name,region,schema,created_at,updated_at\r\nleiyang,active,耒阳市,湖南省衡阳市,county_leiyang,"))
            let set = try await tongxin(["county", "set", "leiyang", "evaluation_window_days=45"], configuration)
            #expect(set.status == 0)
            let show = try await tongxin(["county", "show", "leiyang"], configuration)
            #expect(show.lines.contains("  evaluation_window_days=45"))
            #expect(show.lines.contains("schema: county_leiyang"))
            let shownJSON = try await tongxin(["county", "show", "leiyang", "--format", "json"], configuration)
            let object = try JSONSerialization.jsonObject(with: Data(shownJSON.output.utf8)) as? [String: Any]
            #expect(object?["schema"] as? String == "county_leiyang")
            #expect((object?["settings"] as? [String: String])?["evaluation_window_days"] == "45")
            let shownCSV = try await tongxin(["county", "show", "leiyang", "--format", "csv"], configuration)
            #expect(shownCSV.output.hasPrefix("code,status,name,region,schema,created_at,updated_at,handling_months,"), "\(shownCSV.output)")
            let status = try await tongxin(["migrate", "status", "--format", "json"], configuration)
            let json = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [[String: Any]]
            #expect(json?.map { $0["name"] as? String } == ["control", "leiyang"])
            #expect(json?.allSatisfy { ($0["pending"] as? Int) == 0 } == true)
            let up = try await tongxin(["migrate", "up", "--all", "--jobs", "2"], configuration)
            #expect(up.status == 0, "\(up.output)")
            #expect(up.lines.last == "counties: 1 done, 0 changed, 0 failed, 0 not started")
            let archived = try await tongxin(["county", "archive", "leiyang"], configuration)
            #expect(archived.lines == ["archived county leiyang (耒阳市)"])
        }
    }

    @Test func badInputInEveryArgumentGetsOneLineAndExitOneOrUsage() async throws {
        try await TestDatabase.withDatabase { configuration in
            _ = try await tongxin(["county", "create", "linwu", "--name", "临武县"], configuration)
            let attempts: [[String]] = [
                ["county", "create", "x'; DROP SCHEMA tongxin CASCADE; --", "--name", "n"],
                ["county", "create", "Leiyang", "--name", "n"],
                ["county", "create", "ok_code", "--name", ""],
                ["county", "show", "linwu\"; --"],
                ["county", "set", "linwu", "handling_months=3; DROP TABLE x"],
                ["county", "set", "linwu", "no_such_key=1"],
                ["county", "set", "linwu", "novalue"],
                ["county", "archive", "nosuch"],
                ["migrate", "status", "--county", "1bad"],
                ["migrate", "up", "--county", "nosuch"],
                ["county", "create", "ok_code", "--name", "n", "--region", "bad\u{7}region"],
                ["county", "create", "ok_code", "--name", String(repeating: "名", count: 101)],
                ["county", "export", "linwu'; --", "--to", "/tmp/x"],
                ["county", "export", "linwu", "--to", "/nonexistent-folder/x.tongxin"],
                ["county", "import", "/nonexistent-file"],
                ["county", "drop", "linwu", "--confirm", "linwu"],
                ["county", "drop", "linwu", "--confirm", "linwu'; DROP SCHEMA tongxin; --"],
                ["county", "create-many", "/nonexistent-list"],
                ["migrate", "plan", "--county", "x;y"],
                ["migrate", "verify", "--county", "nosuch"],
                ["migrate", "resolve", "--county", "linwu\"", "1"],
                ["migrate", "up", "--migrations", "/nonexistent-migrations"],
                ["migrate", "status", "--migrations", "/etc"],
            ]
            for arguments in attempts {
                let outcome = try await tongxin(arguments, configuration)
                #expect(outcome.status == 1, "\(arguments): \(outcome.output)")
                #expect(outcome.lines.count == 1, "\(arguments): \(outcome.output)")
                #expect(outcome.output.hasPrefix("tongxin: "), "\(arguments): \(outcome.output)")
            }
            let usage = try await tongxin(["migrate", "up", "--jobs", "0"], configuration)
            #expect(usage.status == 64)
            // Nothing was harmed: one county, its schema intact.
            let list = try await tongxin(["county", "list"], configuration)
            #expect(list.lines.count == 3 && list.lines[2].hasPrefix("linwu  active  临武县"), "\(list.output)")
        }
    }
}

@Suite struct CreateManyProgramTests {
    @Test func createManyReadsAListFileAndABadLineCreatesNothing() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            let file = NSTemporaryDirectory() + "counties-\(UUID().uuidString.prefix(6)).csv"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try "# code,name,region\nleiyang,耒阳市,湖南省衡阳市\nchangning,常宁市\nbad code,x\n".write(toFile: file, atomically: true, encoding: .utf8)
            let refused = try await Programs.run("tongxin", ["county", "create-many", file], environment: ["DATABASE_URL": url])
            #expect(refused.status == 1)
            #expect(refused.lines.count == 1)
            #expect(refused.output.hasPrefix("tongxin: line 4: invalid county code"))
            try "# code,name,region\nleiyang,耒阳市,湖南省衡阳市\nchangning,常宁市\n".write(toFile: file, atomically: true, encoding: .utf8)
            let created = try await Programs.run("tongxin", ["county", "create-many", file, "--jobs", "2"], environment: ["DATABASE_URL": url])
            #expect(created.status == 0, "\(created.output)")
            #expect(created.lines.last == "counties: 2 created, 0 failed")
            let list = try await Programs.run("tongxin", ["county", "list"], environment: ["DATABASE_URL": url])
            #expect(list.lines.count == 4 && list.lines[2].hasPrefix("changning ") && list.lines[3].hasPrefix("leiyang "), "\(list.output)")
        }
    }
}

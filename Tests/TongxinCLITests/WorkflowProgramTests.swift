import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// The workflow commands as committee staff run them.
@Suite struct WorkflowProgramTests {
    /// Runs `tongxin` against `configuration` with county leiyang from TONGXIN_COUNTY.
    func tongxin(_ arguments: [String], _ configuration: PostgresConfiguration, county: String = "leiyang") async throws -> Programs.Outcome {
        try await Programs.run("tongxin", arguments, environment: [
            "DATABASE_URL": Programs.url(configuration), "TONGXIN_COUNTY": county, "USER": "staff-user",
        ])
    }

    /// Runs each command, failing the test on a non-zero exit.
    func setUp(_ configuration: PostgresConfiguration, _ commands: [[String]]) async throws {
        for command in commands {
            let outcome = try await tongxin(command, configuration)
            try #require(outcome.status == 0, "\(command): \(outcome.output)")
        }
    }

    static let reference: [[String]] = [
        ["county", "create", "leiyang", "--name", "耒阳市", "--purpose", "training"],
        ["sector", "add", "经济界"],
        ["member", "add", "王委员", "--sector", "经济界"],
        ["member", "add", "欧阳委员", "--sector", "经济界"],
        ["unit", "add", "城管局"],
        ["unit", "add", "林业局"],
        ["session", "open", "--year", "2021", "--name", "十届七次会议", "--opened-on", "2021-01-10", "--closed-on", "2021-01-14"],
    ]

    @Test func aProposalRunsThroughTheCommandsAndShowGivesTheDocumentedJSON() async throws {
        try await TestDatabase.withDatabase { configuration in
            try await setUp(configuration, Self.reference)
            let filed = try await tongxin([
                "proposal", "file", "--title", "关于规范城区物业管理的建议", "--category", "社会民生", "--kind", "joint",
                "--lead", "王委员", "--co", "欧阳委员", "--as-of", "2021-01-11T10:00",
            ], configuration)
            #expect(filed.lines == ["filed 2021-001 关于规范城区物业管理的建议"])
            try await setUp(configuration, [
                ["proposal", "review", "2021-001", "--register", "--as-of", "2021-01-20"],
                ["proposal", "assign", "2021-001", "--lead", "城管局", "--co", "林业局", "--as-of", "2021-01-25"],
            ])
            let refused = try await tongxin(["proposal", "evaluate", "2021-001", "--member", "王委员", "--rating", "满意"], configuration)
            #expect(refused.status == 1)
            #expect(refused.lines == ["tongxin: proposal 2021-001: cannot evaluate: the proposal is assigned, not replied"])
            try await setUp(configuration, [
                ["proposal", "reply", "2021-001", "--unit", "城管局", "--category", "B", "--text", "已列入计划", "--as-of", "2021-03-01T09:30"],
                ["proposal", "evaluate", "2021-001", "--member", "王委员", "--rating", "满意", "--as-of", "2021-03-05"],
                ["proposal", "evaluate", "2021-001", "--member", "欧阳委员", "--rating", "basic", "--as-of", "2021-03-06"],
            ])
            let shown = try await tongxin(["proposal", "show", "2021-001", "--format", "json"], configuration)
            #expect(shown.status == 0, "\(shown.output)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
            #expect(json["number"] as? String == "2021-001")
            #expect(json["title"] as? String == "关于规范城区物业管理的建议")
            #expect(json["status"] as? String == "closed")
            #expect(json["category"] as? String == "livelihood")
            #expect(json["kind"] as? String == "joint")
            let authors = try #require(json["authors"] as? [[String: Any]])
            #expect(authors.compactMap { $0["member"] as? String } == ["王委员", "欧阳委员"])
            let assignments = try #require(json["assignments"] as? [[String: Any]])
            #expect(assignments.compactMap { $0["unit"] as? String } == ["城管局", "林业局"])
            #expect(assignments.first?["role"] as? String == "lead")
            #expect(assignments.first?["assigned_at"] as? String == "2021-01-25T00:00:00+08:00")
            #expect(assignments.first?["due_at"] as? String == "2021-04-25")
            #expect(assignments.first?["replied_at"] as? String == "2021-03-01T09:30:00+08:00")
            #expect(assignments.first?["reply_category"] as? String == "B")
            let evaluations = try #require(json["evaluations"] as? [[String: Any]])
            #expect(evaluations.compactMap { $0["member"] as? String } == ["王委员", "欧阳委员"])
            #expect(evaluations.compactMap { $0["rating"] as? String } == ["satisfied", "basic"])
            #expect(evaluations.compactMap { $0["round"] as? Int } == [1, 1])
            let timeline = try #require(json["timeline"] as? [[String: Any]])
            // The connected operator replays the training county: its PostgreSQL login is the actor.
            let actors = Set(timeline.compactMap { $0["actor"] as? String })
            #expect(actors.count == 1 && actors.first?.hasPrefix("pg:") == true, "\(actors)")

            // Tables align Chinese by display width: 欧阳委员 is 8 columns wide.
            let members = try await tongxin(["member", "list"], configuration)
            #expect(members.lines == [
                "name      sector  active",
                "--------  ------  ------",
                "欧阳委员  经济界  yes",
                "王委员    经济界  yes",
            ])
            let list = try await tongxin(["proposal", "list", "--status", "closed", "--format", "csv"], configuration)
            #expect(list.output.hasPrefix("number,title,status,category,lead,units,due_on,overdue,key\r\n2021-001,关于规范城区物业管理的建议,closed,livelihood,王委员,城管局、林业局,"))
            #expect(try await tongxin(["proposal", "list", "--unit", "林业局", "--status", "filed"], configuration).lines == ["(none)"])
            let verify = try await tongxin(["audit", "verify"], configuration)
            #expect(verify.lines == ["audit log intact: 12 entries"])
        }
    }

    @Test func importsAreAllOrNothingAndNameEveryBadLine() async throws {
        try await TestDatabase.withDatabase { configuration in
            try await setUp(configuration, Self.reference)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-import-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            // Excel's UTF-8 CSV: a BOM, CRLF, Chinese headers.
            let good = folder.appendingPathComponent("members.csv")
            try Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array("姓名,界别\r\n赵委员,教育界\r\n钱委员,经济界\r\n".utf8)).write(to: good)
            let imported = try await tongxin(["member", "import", good.path], configuration)
            #expect(imported.lines == ["imported 2 members from \(good.path)"])
            #expect(try await tongxin(["sector", "list", "--format", "csv"], configuration).output == "sector\r\n教育界\r\n经济界\r\n")

            let proposals = folder.appendingPathComponent("proposals.csv")
            try Data("""
                title,category,kind,lead,co_authors,filed_at\r
                关于A的建议,economy,individual,王委员,,2021-01-11\r
                关于B的建议,sports,individual,王委员,,2021-01-11\r
                关于C的建议,ecology,joint,赵委员,钱委员、欧阳委员,2021-01-12\r
                关于D的建议,ecology,individual,无名氏,,2021-01-12\r
                ,ecology,individual,王委员,,2021-01-12\r
                """.utf8).write(to: proposals)
            let refused = try await tongxin(["import", "proposals", proposals.path], configuration)
            #expect(refused.status == 1)
            #expect(refused.lines == [
                "tongxin: \(proposals.path): line 3, field category: \"sports\" is not one of economy, urban-rural, livelihood, education-culture, ecology, agriculture, politics-law, other",
                "tongxin: \(proposals.path): line 5, field lead: no member \"无名氏\" in county leiyang",
                "tongxin: \(proposals.path): line 6, field title: must not be empty (import refused: 3 problem(s), nothing written)",
            ])
            #expect(try await tongxin(["proposal", "list"], configuration).lines == ["(none)"])
            // Fixed, it imports whole, numbered in order, filed at the given times.
            try Data("""
                title,category,kind,lead,co_authors,filed_at\r
                关于A的建议,economy,individual,王委员,,2021-01-11\r
                关于C的建议,ecology,joint,赵委员,钱委员、欧阳委员,2021-01-12\r
                """.utf8).write(to: proposals)
            let done = try await tongxin(["import", "proposals", proposals.path], configuration)
            #expect(done.lines == ["imported 2 proposals from \(proposals.path)"], "\(done.output)")
            let shown = try await tongxin(["proposal", "show", "2021-002", "--format", "json"], configuration)
            let json = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
            #expect((json?["authors"] as? [[String: Any]])?.count == 3)
            #expect(json?["filed_at"] as? String == "2021-01-12T00:00:00+08:00")

            let gbk = folder.appendingPathComponent("gbk.csv")
            try Data([0x6E, 0x61, 0x6D, 0x65, 0x0A, 0xC0, 0xDA, 0xD1, 0xF4, 0x0A]).write(to: gbk)  // "name\n耒阳\n" in GBK
            let wrongEncoding = try await tongxin(["unit", "import", gbk.path], configuration)
            #expect(wrongEncoding.status == 1)
            #expect(wrongEncoding.lines == ["tongxin: \(gbk.path): line 2: not valid UTF-8 (save the file as UTF-8 CSV)"])
        }
    }

    @Test func badArgumentsGetOneLineAndChangeNothing() async throws {
        try await TestDatabase.withDatabase { configuration in
            try await setUp(configuration, Self.reference)
            let attempts: [([String], String)] = [
                (["proposal", "show", "2021-001'; DROP TABLE proposal; --"], "proposal: \"2021-001'; DROP TABLE proposal; --\" is not a proposal number like 2021-057"),
                (["proposal", "file", "--title", "x", "--category", "economy", "--lead", "王委员", "--county", "x'; DROP SCHEMA tongxin; --"],
                 "invalid county code \"x'; DROP SCHEMA tongxin; --\": use 2-31 characters a-z, 0-9 and _, starting with a letter"),
                (["proposal", "file", "--title", "x", "--category", "economy", "--lead", "王委员", "--county", "nosuch"], "no county nosuch"),
                (["proposal", "file", "--title", "x", "--category", "economy", "--lead", "王委员", "--as-of", "yesterday"],
                 "--as-of: \"yesterday\" is not a date or time like 2021-03-01 or 2021-03-01T09:30:00+08:00"),
                (["proposal", "review", "2021-001", "--decline", "boring"], "--decline: \"boring\" is not one of state-secret, personal-matter, in-litigation, product-promotion, accusation, no-concrete-proposal, outside-competence, other"),
                (["proposal", "extend", "2021-001", "--unit", "城管局", "--until", "2021-13-01"], "--until: \"2021-13-01\" is not a date like 2021-03-10"),
                (["activity", "add", "--kind", "party"], "--kind: \"party\" is not one of online-event, duty-day, studio-opened, supervision-group, visit-hosted, visit-made"),
                (["member", "add", "新\u{1B}[31m委员"], "name: contains a control character (U+1B)"),
            ]
            for (arguments, message) in attempts {
                let outcome = try await tongxin(arguments, configuration)
                #expect(outcome.status == 1, "\(arguments)")
                #expect(outcome.lines == ["tongxin: \(message)"], "\(arguments)")
            }
            let usage = try await tongxin(["proposal", "review", "2021-001", "--register", "--convert"], configuration)
            #expect(usage.status == 64)
            // A session's year is a year before it reaches SQL (Citus said "integer out of range").
            for arguments in [["proposal", "list", "--session", "2147483648"],
                              ["proposal", "file", "--title", "x", "--category", "economy", "--lead", "王委员", "--session", "99999"]] {
                let outcome = try await tongxin(arguments, configuration)
                #expect(outcome.status == 64, "\(arguments)")
                #expect(outcome.lines.count == 1 && outcome.output.contains("for '--session <session>'") && outcome.output.contains("is not a year from 1949 to 2100"),
                        "\(outcome.output)")
            }
            let noCounty = try await Programs.run("tongxin", ["member", "list"], environment: ["DATABASE_URL": Programs.url(configuration)])
            #expect(noCounty.lines == ["tongxin: --county: give a county code (or set TONGXIN_COUNTY)"])
            #expect(try await tongxin(["audit", "verify"], configuration).lines == ["audit log intact: 6 entries"])
            // Text with quotes and SQL is stored and shown literally.
            let literal = "'); DROP TABLE member; -- \"引号\""
            #expect(try await tongxin(["member", "add", literal], configuration).status == 0)
            #expect(try await tongxin(["member", "list", "--format", "json"], configuration).output.contains("\"'); DROP TABLE member; -- \\\"引号\\\"\""))
        }
    }

    @Test func suggestionsActivitiesAndTheDemoYearWorkFromTheCommandLine() async throws {
        try await TestDatabase.withDatabase { configuration in
            try await setUp(configuration, Self.reference)
            let filed = try await tongxin(["suggestion", "file", "--member", "王委员", "--title", "路灯不亮", "--as-of", "2021-03-10T09:00"], configuration)
            #expect(filed.lines == ["filed micro-suggestion W2021-001 路灯不亮"])
            let routed = try await tongxin(["suggestion", "route", "W2021-001", "--unit", "城管局", "--as-of", "2021-03-10T10:00"], configuration)
            #expect(routed.lines == ["W2021-001 routed to 城管局, due 2021-03-31"])
            try await setUp(configuration, [
                ["suggestion", "reply", "W2021-001", "--unit", "城管局", "--text", "已修复", "--as-of", "2021-03-20"],
                ["suggestion", "evaluate", "W2021-001", "--rating", "满意"],
                ["activity", "add", "--kind", "visit-hosted", "--peer", "昭平县政协", "--on", "2021-05-01"],
                ["activity", "add", "--kind", "duty-day", "--member", "王委员", "--days", "3", "--on", "2021-04-02"],
            ])
            let suggestions = try await tongxin(["suggestion", "list", "--format", "json"], configuration)
            let list = try JSONSerialization.jsonObject(with: Data(suggestions.output.utf8)) as? [[String: Any]]
            #expect(list?.first?["status"] as? String == "closed")
            #expect(list?.first?["on_time"] as? Bool == true)
            let activities = try await tongxin(["activity", "list", "--year", "2021", "--format", "csv"], configuration)
            #expect(activities.output == "on,kind,member,unit,peer,days,note\r\n2021-04-02,duty_day,王委员,,,3,\r\n2021-05-01,visit_hosted,,,昭平县政协,1,\r\n")
            let log = try await tongxin(["audit", "log", "--proposal", "W2021-001", "--format", "json"], configuration)
            let entries = try JSONSerialization.jsonObject(with: Data(log.output.utf8)) as? [[String: Any]]
            #expect(entries?.compactMap { $0["action"] as? String } == ["file", "route", "reply", "evaluate"])
            // The demo year in a second county, and its summary.
            try await setUp(configuration, [["county", "create", "zhaoping", "--name", "昭平县", "--purpose", "training"]])
            let fill = try await tongxin(["demo", "fill", "--year", "2021"], configuration, county: "zhaoping")
            #expect(fill.status == 0, "\(fill.output)")
            #expect(fill.lines.first?.hasPrefix("filled 昭平县 2021: 78 proposals, 21 micro-suggestions") == true)
            let summary = try await tongxin(["demo", "summary", "--format", "json"], configuration, county: "zhaoping")
            let figures = try JSONSerialization.jsonObject(with: Data(summary.output.utf8)) as? [String: Any]
            #expect(figures?["filed"] as? Int == 78)
            let unknown = try await tongxin(["demo", "fill"], configuration, county: "leiyang")
            #expect(unknown.status == 1)
            #expect(unknown.lines == ["tongxin: demo: county leiyang has a 2021 session already; fill a year once"])
        }
    }
}

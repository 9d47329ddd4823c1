import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase

/// The whole permission matrix through the `tongxin` program: every operation × every role ×
/// own or other target, allowed or refused. The expectations below are written out by hand
/// (what docs/operations.md promises), not computed from the check they test. A refusal is one
/// line on stderr, exit 1, and writes nothing (the county's audit log and the account events
/// keep their counts). An allowed operation may still fail on the proposal's state; what matters
/// here is that the permission check let it through.
@Suite struct PermissionMatrixTests {
    /// The accounts, acting through the operator's `--as` (the test's login owns the schema).
    /// `operator`: the connected operator itself, without `--as`.
    static let roles = [
        "member.own", "member.other", "unit.lead", "unit.co", "unit.other", "staff.m", "staff.x", "sup.m", "leader.m", "operator",
    ]

    /// Each operation with who may do it; `{P}` is a proposal of its own, filed by 王委员 (the
    /// member.own account), registered, assigned to 城管局 (unit.lead) with 林业局 (unit.co); `{DR}`
    /// a draft of 王委员's inviting 李委员 (member.other) to co-sign.
    static let matrix: [(name: String, arguments: [String], allowed: Set<String>)] = [
        ("proposal file", ["proposal", "file", "--title", "关于矩阵的建议", "--category", "economy", "--lead", "王委员"], ["member.own", "staff.m"]),
        ("proposal draft save", ["proposal", "draft", "save", "--title", "矩阵草稿", "--category", "economy"], ["member.own", "member.other"]),
        ("proposal draft show", ["proposal", "draft", "show", "{DR}"], ["member.own", "member.other"]),
        ("proposal draft confirm", ["proposal", "draft", "confirm", "{DR}"], ["member.other"]),
        ("proposal draft submit", ["proposal", "draft", "submit", "{DR}"], ["member.own"]),
        ("proposal show", ["proposal", "show", "{P}"], ["member.own", "unit.lead", "unit.co", "staff.m", "sup.m", "leader.m"]),
        ("proposal list", ["proposal", "list"], ["member.own", "member.other", "unit.lead", "unit.co", "unit.other", "staff.m", "sup.m", "leader.m"]),
        ("proposal withdraw", ["proposal", "withdraw", "{P}"], ["member.own"]),
        ("proposal resubmit", ["proposal", "resubmit", "{P}"], ["member.own"]),
        ("proposal review", ["proposal", "review", "{P}", "--return"], ["staff.m"]),
        ("proposal assign", ["proposal", "assign", "{P}", "--lead", "城管局"], ["staff.m"]),
        ("proposal acknowledge", ["proposal", "acknowledge", "{P}"], ["unit.lead", "unit.co"]),
        ("proposal request-extension", ["proposal", "request-extension", "{P}", "--until", "{D}", "--reason", "需征地"], ["unit.lead"]),
        ("proposal refuse-extension", ["proposal", "refuse-extension", "{P}", "--unit", "城管局"], ["staff.m"]),
        ("proposal unit-return", ["proposal", "unit-return", "{P}", "--reason", "不属本单位"], ["unit.lead", "unit.co"]),
        ("proposal extend", ["proposal", "extend", "{P}", "--unit", "城管局"], ["staff.m"]),
        ("proposal opinion", ["proposal", "opinion", "{P}", "--text", "同意"], ["unit.co"]),
        ("proposal reply", ["proposal", "reply", "{P}", "--category", "A", "--text", "已办理"], ["unit.lead"]),
        ("proposal reply --on-behalf", ["proposal", "reply", "{P}", "--unit", "城管局", "--category", "A", "--text", "纸质", "--on-behalf", "--note", "纸质复文"],
         ["staff.m"]),
        ("proposal approve-reply", ["proposal", "approve-reply", "{P}", "--unit", "城管局"], ["staff.m", "sup.m"]),
        ("proposal send-back-reply", ["proposal", "send-back-reply", "{P}", "--unit", "城管局", "--note", "请补充"], ["staff.m", "sup.m"]),
        ("proposal evaluate", ["proposal", "evaluate", "{P}", "--rating", "satisfied"], ["member.own"]),
        ("proposal evaluate --on-behalf", ["proposal", "evaluate", "{P}", "--member", "王委员", "--rating", "basic", "--on-behalf", "--note", "纸质征询意见表"],
         ["staff.m"]),
        ("proposal consult", ["proposal", "consult", "{P}", "--outcome", "面商"], ["staff.m"]),
        ("proposal mark-key", ["proposal", "mark-key", "{P}", "--supervisor", "主席"], ["staff.m", "sup.m"]),
        ("proposal supervise", ["proposal", "supervise", "{P}", "--kind", "meeting", "--note", "督办"], ["staff.m", "sup.m"]),
        ("suggestion file", ["suggestion", "file", "--member", "王委员", "--title", "路灯维修"], ["member.own", "staff.m"]),
        ("sector add", ["sector", "add", "矩阵界"], ["staff.m"]),
        ("member list", ["member", "list"], ["member.own", "member.other", "unit.lead", "unit.co", "unit.other", "staff.m", "sup.m", "leader.m"]),
        ("activity add", ["activity", "add", "--kind", "online-event"], ["staff.m"]),
        ("audit log", ["audit", "log"], ["staff.m", "sup.m"]),
        ("audit verify", ["audit", "verify"], ["staff.m", "operator"]),
        ("report annual", ["report", "annual", "--year", "{Y}"], ["staff.m", "sup.m", "leader.m", "operator"]),
        ("account list", ["account", "list"], ["operator"]),
        ("demo fill", ["demo", "fill", "--profile", "leiyang"], []),
    ]

    @Test func everyOperationByEveryRoleOnItsOwnAndOthersRecords() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            func tongxin(_ arguments: [String], as login: String? = nil, county: String = "matrix") async throws -> Programs.Outcome {
                let acting = login.map { ["--as", $0] } ?? []
                return try await Programs.run("tongxin", arguments + acting, environment: ["DATABASE_URL": url, "TONGXIN_COUNTY": county])
            }
            func succeed(_ arguments: [String], as login: String? = nil, county: String = "matrix") async throws -> [String] {
                let outcome = try await tongxin(arguments, as: login, county: county)
                try #require(outcome.status == 0, "\(arguments.joined(separator: " ")): \(outcome.output)")
                return outcome.lines
            }
            let year = LocalTime.day(of: Date()).year
            // Two live counties; county x's staff must be refused in county matrix.
            _ = try await succeed(["county", "create", "matrix", "--name", "矩阵县"])
            _ = try await succeed(["county", "create", "matrix_x", "--name", "他县"])
            for (login, role, extra) in [
                ("staff.m", "staff", [String]()), ("sup.m", "supervisor", []), ("leader.m", "leader", []),
            ] { _ = try await succeed(["account", "add", login, "--role", role, "--county", "matrix"] + extra) }
            _ = try await succeed(["account", "add", "staff.x", "--role", "staff", "--county", "matrix_x"])
            for command in [
                ["sector", "add", "经济界"], ["member", "add", "王委员", "--sector", "经济界"], ["member", "add", "李委员", "--sector", "经济界"],
                ["unit", "add", "城管局"], ["unit", "add", "林业局"], ["unit", "add", "教育局"],
                ["session", "open", "--year", "\(year)", "--name", "会议"],
            ] { _ = try await succeed(command, as: "staff.m") }
            for (login, extra) in [
                ("member.own", ["--role", "member", "--member", "王委员"]), ("member.other", ["--role", "member", "--member", "李委员"]),
                ("unit.lead", ["--role", "unit", "--unit", "城管局"]), ("unit.co", ["--role", "unit", "--unit", "林业局"]),
                ("unit.other", ["--role", "unit", "--unit", "教育局"]),
            ] { _ = try await succeed(["account", "add", login, "--county", "matrix"] + extra) }

            func counts() async throws -> Int {
                try await PostgresConnection.withConnection(configuration: configuration) { c in
                    try await c.query("""
                        SELECT (SELECT count(*) FROM county_matrix.audit_log) * 1000 + (SELECT count(*) FROM tongxin.account_event)
                        """).single().decode(Int.self)
                }
            }
            var mismatches: [String] = []
            var cases = 0
            for (name, template, allowed) in Self.matrix {
                // A proposal of this operation's own.
                let later = try LocalTime.day(of: Date()).adding(days: 120).description
                var arguments = template.map { $0 == "{Y}" ? "\(year)" : $0 == "{D}" ? later : $0 }
                if template.contains("{P}") {
                    let filed = try await succeed(["proposal", "file", "--title", "关于\(name)的建议", "--category", "economy", "--lead", "王委员"], as: "staff.m")
                    let number = try #require(filed.first?.split(separator: " ").dropFirst().first.map(String.init))
                    _ = try await succeed(["proposal", "review", number, "--register"], as: "staff.m")
                    _ = try await succeed(["proposal", "assign", number, "--lead", "城管局", "--co", "林业局"], as: "staff.m")
                    arguments = arguments.map { $0 == "{P}" ? number : $0 }
                }
                if template.contains("{DR}") {
                    // A draft of 王委员's (member.own) inviting 李委员 (member.other).
                    let saved = try await succeed(["proposal", "draft", "save", "--title", "关于\(name)的草稿", "--category", "economy", "--co", "李委员"],
                                                  as: "member.own")
                    let draft = try #require(saved.first?.split(separator: " ").dropFirst(2).first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ";")) })
                    arguments = arguments.map { $0 == "{DR}" ? draft : $0 }
                }
                // The refused first: an allowed step may change the record for those after it.
                for role in Self.roles.sorted(by: { (allowed.contains($0) ? 1 : 0, $0) < (allowed.contains($1) ? 1 : 0, $1) }) {
                    cases += 1
                    let before = try await counts()
                    let outcome = try await tongxin(arguments, as: role == "operator" ? nil : role)
                    let refused = outcome.status != 0
                        && (outcome.output.contains("not allowed") || outcome.output.contains("tongxin: no proposal ")
                            || outcome.output.contains("tongxin: no draft "))
                    if refused == allowed.contains(role) {
                        mismatches.append("\(name) as \(role): expected \(allowed.contains(role) ? "allowed" : "refused"), got exit \(outcome.status): \(outcome.output.prefix(200))")
                    }
                    if refused {
                        if outcome.lines.count != 1 { mismatches.append("\(name) as \(role): the refusal is not one line: \(outcome.output)") }
                        if try await counts() != before { mismatches.append("\(name) as \(role): refused, yet something was written") }
                    }
                }
            }
            #expect(cases == Self.matrix.count * Self.roles.count)
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }

    /// docs/operations.md carries the matrix as the code decides it: it cannot drift.
    @Test func theOperatorsGuideShowsTheMatrixTheCodeDecides() async throws {
        let printed = try await Programs.run("tongxin", ["account", "roles", "--markdown"])
        #expect(printed.status == 0)
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/operations.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- permission-matrix: made by `tongxin account roles --markdown` -->\n"))
        let end = try #require(text.range(of: "<!-- /permission-matrix -->"))
        #expect(String(text[start.upperBound..<end.lowerBound]) == printed.output,
                "docs/operations.md's matrix differs from `tongxin account roles --markdown`: paste the program's output between the markers")
        #expect(printed.lines.count == 2 + 46 && printed.lines.contains("| proposal.evaluate | own | — | — | — | — | — | — |"))
    }
}

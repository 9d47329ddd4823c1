import Foundation
import PostgresClient

/// Bad input: fuzzed arguments to every command, broken CSV files to every importer, and
/// injection strings in every free-text field. A refused input must exit non-zero with one
/// line on stderr and leave the database exactly as it was (a checksum of every row).
enum BadInput {
    static let county = "fuzz"

    /// One database with a county holding a year of data, shared by the three scenarios.
    static func prepare(_ harness: Harness) async throws -> String {
        let database = "chaos_input"
        let ready = try? await harness.withConnection(database) { c in
            try await c.query("SELECT count(*) FROM tongxin.county WHERE code = 'fuzz'").single().decode(Int.self)
        }
        if ready == 1 { return database }
        _ = try await harness.freshDatabase(database)
        for step in [
            ["county", "create", county, "--name", "模糊县", "--purpose", "training"],
            ["demo", "fill", "--county", county, "--year", "2021", "--profile", "leiyang"],
            ["member", "add", "测试委员", "--county", county],
            ["unit", "add", "测试局", "--county", county],
            ["unit", "add", "测试二局", "--county", county],
            ["unit", "add", "测试三局", "--county", county],
            ["member", "add", "测试委员二", "--county", county],
            ["proposal", "file", "--title", "模糊测试提案", "--category", "社会民生", "--kind", "individual", "--lead", "测试委员",
             "--as-of", "2021-02-01T09:00", "--county", county],
            ["account", "add", "fuzz.staff", "--role", "staff", "--county", county],
            ["account", "add", "fuzz.leader", "--role", "leader", "--county", county],
        ] {
            let run = try await harness.tongxin(step, database: database)
            guard run.status == 0 else { throw ChaosError("\(step.joined(separator: " ")): \(run.stderr)") }
        }
        return database
    }

    /// Checks a finished run: traps, hangs, errors of more than one line, and (for a refused
    /// command) a changed database. `baseline` is the checksum before; returns the one after.
    static func judge(_ run: Harness.Run, harness: Harness, database: String, baseline: String,
                      into outcome: inout Outcome) async throws -> String {
        outcome.runs += 1
        if run.trapped {
            outcome.traps += 1
            outcome.findings.append("trap (exit \(run.status)): \(run.shown): \(run.stderr.suffix(200))")
        }
        if run.timedOut { outcome.findings.append("no answer within the time limit: \(run.shown)") }
        let after = try await harness.checksum(database)
        if run.status != 0 && after != baseline {
            let before = Set(baseline.split(separator: ";")), now = Set(after.split(separator: ";"))
            let tables = now.subtracting(before).map { $0.split(separator: "=").first.map(String.init) ?? "" }.sorted()
            outcome.partialWrites += 1
            outcome.findings.append("refused, yet \(tables.joined(separator: ", ")) changed: \(run.shown): \(run.stderr.prefix(200))")
        }
        if run.status != 0 && !run.trapped && !run.timedOut {
            // One line; an import lists each bad row on a line of its own.
            let lines = run.errorLines
            let rowByRow = run.arguments.contains("import") && lines.count > 1
                && lines.allSatisfy { $0.hasPrefix("tongxin: ") && $0.contains(": line ") }
            if lines.count != 1 && !rowByRow {
                outcome.findings.append("\(lines.count)-line error (exit \(run.status)): \(run.shown): \(run.stderr.prefix(300))")
            }
            if ![1, 64].contains(run.status) { outcome.findings.append("exit \(run.status): \(run.shown)") }
            // Bad data must be caught by the program, not by the database's checks.
            if run.stderr.contains("(SQLSTATE 22") || run.stderr.contains("(SQLSTATE 23") {
                outcome.findings.append("a raw database error instead of a field's: \(run.shown): \(run.stderr.prefix(200))")
            }
        }
        return after
    }

    // MARK: Arguments

    /// The values fuzzing draws from, besides random text.
    static let corpus: [String] = [
        "", " ", "0", "-1", "1", "2021", "2021-001", "2147483648", "99999999999999999999", "1e309", "NaN", "-0", "+1", "1.5", "0x10",
        "abc", "２０２１", "٣", "Ⅻ", "2021-02-30", "2021-13-01", "9999-12-31T25:61", "1969-12-31", "-", "--", "-x", "--=",
        "'; DROP TABLE tongxin.county; --", "\" OR 1=1 --", "x' OR '1'='1", "$(touch pwned)", "`touch pwned`", "; touch pwned #",
        "| cat /proc/version", "&& id", "%s%s%n%x", "{{7*7}}", "${jndi:ldap://x/a}", "<script>alert(1)</script>", "\\", "\\N",
        "../chaos-traversal.txt", "/dev/null", "/dev/zero", "/dev/full", "/", "/proc/version", "/nonexistent/file.csv",
        "\u{202E}txt.exe", "😀👍🏽", "a\nb", "\t", "\u{7}\u{1B}[31m", "NULL", "null", "true", "{\"a\":", "[]", "{}",
        "county_fuzz", "tongxin", "pg_catalog", "postgres://x@127.0.0.1:1/x", "host=/nonexistent dbname=x",
        "satisfied", "unsatisfied", "A", "E", "lead", "individual", "社会民生", "测试委员", "城管局",
        Harness.invalidUTF8,
    ]

    static func value(_ random: inout Random) -> String {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return String(repeating: "x", count: 100_000)
        case 1: return String(repeating: "名", count: 30_000)
        case 2, 3:
            // Random text: control characters, CJK, symbols, combining marks.
            let length = Int.random(in: 1...40, using: &random)
            var text = ""
            for _ in 0..<length {
                let ranges: [ClosedRange<UInt32>] = [1...0x1F, 0x20...0x7E, 0x4E00...0x9FFF, 0x300...0x36F, 0x1F300...0x1F6FF, 0xFF01...0xFF5E]
                let range = ranges[Int.random(in: 0..<ranges.count, using: &random)]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &random)) { text.unicodeScalars.append(scalar) }
            }
            return text
        default: return corpus[Int.random(in: 0..<corpus.count, using: &random)]
        }
    }

    struct Command {
        var path: [String]
        var arguments: [(kind: String, name: String)]
        /// The options it cannot run without.
        var required: [String] = []
    }

    /// Every leaf command, from the program's own description of itself.
    static func commands(_ harness: Harness) async throws -> [Command] {
        let dump = try await harness.tongxin(["--experimental-dump-help"], database: nil)
        guard dump.status == 0, let json = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any],
              let root = json["command"] as? [String: Any]
        else { throw ChaosError("tongxin --experimental-dump-help gave no command tree") }
        var found: [Command] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            let subcommands = node["subcommands"] as? [[String: Any]] ?? []
            if subcommands.isEmpty && !path.isEmpty && path != ["help"] {
                let arguments = (node["arguments"] as? [[String: Any]] ?? []).compactMap { argument -> (String, String)? in
                    guard let kind = argument["kind"] as? String,
                          let name = (argument["preferredName"] as? [String: Any])?["name"] as? String ?? argument["valueName"] as? String,
                          !["help", "version", "experimental-dump-help"].contains(name)
                    else { return nil }
                    return (kind, name)
                }
                let required = (node["arguments"] as? [[String: Any]] ?? []).compactMap { argument -> String? in
                    guard argument["kind"] as? String == "option", argument["isOptional"] as? Bool == false else { return nil }
                    return (argument["preferredName"] as? [String: Any])?["name"] as? String
                }
                found.append(Command(path: path, arguments: arguments.map { (kind: $0.0, name: $0.1) }, required: required))
            }
            for sub in subcommands {
                if let name = sub["commandName"] as? String { walk(sub, path + [name]) }
            }
        }
        walk(root, [])
        return found
    }

    static func fuzzArguments(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.fuzzArguments.rawValue)
        let database = try await prepare(harness)
        let commands = try await commands(harness)
        let perCommand = harness.options.quick ? 6 : 16
        var random = Random(seed: harness.options.seed &+ 7)
        var baseline = try await harness.checksum(database)
        var refused = 0, accepted = 0
        for command in commands {
            for _ in 0..<perCommand {
                var arguments = command.path
                for argument in command.arguments {
                    let roll = Int.random(in: 0..<100, using: &random)
                    switch (argument.kind, argument.name) {
                    case ("option", "database-url"):
                        if roll < 8 { arguments += ["--database-url", value(&random)] }
                    case ("option", "county"):
                        if roll < 75 { arguments += ["--county", county] } else if roll < 95 { arguments += ["--county", value(&random)] }
                    case ("option", "migrations"):
                        if roll < 15 { arguments += ["--migrations", value(&random)] }
                    case ("flag", let name):
                        if roll < 40 { arguments.append("--" + name) }
                    case ("option", let name):
                        if roll < 70 { arguments += ["--" + name, value(&random)] }
                    default:
                        if roll < 88 { arguments.append(value(&random)) }
                    }
                }
                let extra = Int.random(in: 0..<100, using: &random)
                if extra < 8 { arguments.append(value(&random)) } else if extra < 12 { arguments.append("--no-such-option") }
                let run = try await harness.tongxin(arguments, database: database)
                if run.status == 0 { accepted += 1 } else { refused += 1 }
                baseline = try await judge(run, harness: harness, database: database, baseline: baseline, into: &outcome)
            }
        }
        // Valid commands with one value replaced: past the parser, into each field's checks.
        let number = try await harness.withConnection(database) { c in
            try await c.query("SELECT number FROM county_fuzz.proposal WHERE title = '模糊测试提案'").single().decode(String.self)
        }
        let templates = mutationTemplates(number)
        var mutated = 0, naming = 0
        var unnamed: [String] = []
        let perTemplate = harness.options.quick ? 5 : 16
        for template in templates {
            let values = template.indices.filter { $0 >= 2 && !template[$0].hasPrefix("--") }
            for _ in 0..<perTemplate {
                var arguments = template
                var changed: (option: String, value: String)?
                if let index = values.randomElement(using: &random) {
                    let option = template[index - 1].hasPrefix("--") ? String(template[index - 1].dropFirst(2)) : "<\(template[1])>"
                    if Int.random(in: 0..<8, using: &random) == 0 {
                        arguments.remove(at: index)
                    } else {
                        arguments[index] = value(&random)
                        changed = (option, arguments[index])
                    }
                }
                let takesCounty = commands.contains { template.starts(with: $0.path) && $0.arguments.contains { $0.name == "county" } }
                let run = try await harness.tongxin(arguments + (takesCounty ? ["--county", county] : []), database: database)
                if run.status == 0 { accepted += 1 } else { refused += 1 }
                // Does the refusal say what was wrong: the option, its field, or the value?
                if run.status != 0, let changed, let line = run.errorLines.first {
                    let field = changed.option.replacingOccurrences(of: "-", with: "_")
                    let shown = changed.value == Harness.invalidUTF8 ? "\u{FFFD}" : String(changed.value.prefix(12))
                    let named = line.contains(changed.option) || line.contains(field) || (!shown.isEmpty && line.contains(shown))
                        || changed.option.hasPrefix("<")
                    mutated += 1
                    if named {
                        naming += 1
                    } else if !["cannot ", "already", "exists"].contains(where: { line.contains($0) }) {
                        outcome.findings.append("the error names neither the option nor its value: --\(changed.option) \(changed.value.prefix(30).debugDescription): \(line.prefix(160))")
                    } else { unnamed.append("\(template.prefix(2).joined(separator: " ")) --\(changed.option) \(changed.value.prefix(30).debugDescription): \(line.prefix(160))") }
                }
                baseline = try await judge(run, harness: harness, database: database, baseline: baseline, into: &outcome)
            }
        }
        // The worker's arguments too.
        for _ in 0..<(harness.options.quick ? 20 : 60) {
            var arguments: [String] = []
            for option in ["--concurrency", "--batch-size", "--queues", "--county", "--as-of", "--metrics-port", "--lease-seconds",
                           "--shutdown-grace", "--retention-days", "--webhook-url", "--smtp-url", "--log-format", "--log-level"]
            where Int.random(in: 0..<100, using: &random) < 30 {
                arguments += [option, value(&random)]
            }
            arguments.append("--drain")
            let run = try await harness.run("tongxin-worker", arguments, database: database, timeout: .seconds(60))
            if run.status == 0 { accepted += 1 } else { refused += 1 }
            baseline = try await judge(run, harness: harness, database: database, baseline: baseline, into: &outcome)
        }
        outcome.notes = ["\(naming) of \(mutated) refusals of a replaced option value name the option, its field or the value; the other \(unnamed.count) are refusals by the record's state (\"cannot …\", \"already …\"), e.g. \(unnamed.first ?? "-")"]
        outcome.notes += ["\(commands.count) commands × \(perCommand) random, \(templates.count) valid commands × \(perTemplate) with one value replaced, and the worker: \(outcome.runs) runs, \(refused) refused, \(accepted) accepted"]
        return outcome
    }

    /// Valid staff and operator commands (for county `fuzz`, proposal `p`), each value of
    /// which the mutation fuzzing replaces in turn.
    static func mutationTemplates(_ p: String) -> [[String]] {
        [
            ["proposal", "file", "--title", "模糊标题", "--body", "正文", "--category", "社会民生", "--kind", "joint", "--lead", "测试委员",
             "--co", "测试委员二", "--session", "2021", "--as-of", "2021-02-01T09:00"],
            ["proposal", "review", p, "--register", "--as-of", "2021-02-02"],
            ["proposal", "review", p, "--return", "--note", "请补充", "--as-of", "2021-02-02"],
            ["proposal", "review", p, "--merge-into", "2021-001"],
            ["proposal", "assign", p, "--lead", "测试局", "--co", "测试二局", "--parallel", "测试三局", "--as-of", "2021-02-03"],
            ["proposal", "unit-return", p, "--unit", "测试局", "--reason", "不属本单位"],
            ["proposal", "extend", p, "--unit", "测试局", "--until", "2021-06-30"],
            ["proposal", "opinion", p, "--unit", "测试局", "--text", "意见"],
            ["proposal", "reply", p, "--unit", "测试局", "--category", "A", "--text", "已办理", "--as-of", "2021-03-01"],
            ["proposal", "evaluate", p, "--member", "测试委员", "--rating", "satisfied", "--process-rating", "basic", "--comment", "好"],
            ["proposal", "consult", p, "--outcome", "面商", "--held-on", "2021-05-01"],
            ["proposal", "mark-key", p, "--supervisor", "主席"],
            ["proposal", "supervise", p, "--kind", "site-visit", "--supervisor", "主席", "--note", "督办", "--held-on", "2021-05-02"],
            ["proposal", "list", "--status", "assigned", "--unit", "测试局", "--category", "社会民生", "--session", "2021", "--format", "csv"],
            ["proposal", "show", p, "--format", "json"],
            ["suggestion", "file", "--member", "测试委员", "--title", "微建议", "--body", "内容", "--as-of", "2021-04-01"],
            ["suggestion", "list", "--status", "filed", "--year", "2021"],
            ["activity", "add", "--kind", "duty-day", "--on", "2021-05-01", "--member", "测试委员", "--days", "1", "--note", "值班"],
            ["activity", "add", "--kind", "supervision-group", "--on", "2021-05-01", "--unit", "测试局"],
            ["calendar", "set", "2021-10-08", "holiday"],
            ["session", "open", "--year", "2022", "--name", "十届八次会议", "--opened-on", "2022-01-10", "--closed-on", "2022-01-14"],
            ["member", "add", "新委员", "--sector", "经济界"],
            ["unit", "add", "新单位", "--kind", "department"],
            ["report", "annual", "--year", "2021", "--format", "json"],
            ["report", "units", "--year", "2021", "--format", "csv"],
            ["report", "compare", "--year", "2021", "--counties", "fuzz", "--sort", "on_time_rate", "--live"],
            ["audit", "log", "--proposal", p, "--format", "json"],
            ["demo", "summary", "--year", "2021"],
            ["jobs", "enqueue", "noop", "--count", "3", "--queue", "fuzz", "--priority", "1", "--max-attempts", "2", "--run-at", "2030-01-01"],
            ["jobs", "list", "--state", "available", "--queue", "fuzz", "--kind", "noop", "--limit", "5"],
            ["notifications", "list", "--kind", "deadline.remind", "--state", "pending", "--limit", "5"],
            ["proposal", "withdraw", p, "--reason", "撤回"],
            ["proposal", "evaluate", p, "--member", "测试委员", "--rating", "basic", "--on-behalf", "--paper-date", "2021-05-03", "--note", "纸质征询表"],
            ["proposal", "review", p, "--register", "--as", "fuzz.staff", "--as-of", "2021-02-02", "--backdate-reason", "补录纸质件"],
            ["account", "add", "fuzz.member", "--role", "member", "--county", "fuzz", "--member", "测试委员", "--name", "测试委员"],
            ["account", "list", "--county", "fuzz", "--role", "member", "--format", "json"],
            ["account", "show", "fuzz.staff", "--format", "json"],
            ["account", "grant", "fuzz.leader", "--county", "fuzz", "--db-login", "fuzz_leader"],
            ["account", "disable", "fuzz.staff"],
            ["account", "reset", "fuzz.staff"],
            ["account", "policy", "--lock-after", "5", "--lock-minutes", "15"],
        ]
    }

    // MARK: CSV

    struct CSVCase {
        var name: String
        var importer: String
        var bytes: [UInt8]
        /// nil: must be accepted; otherwise the one error line must contain this.
        var error: String?
    }

    static func csvCases(_ harness: Harness) -> [CSVCase] {
        func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let big = harness.options.quick ? 20_000 : 100_000
        let bad = big * 7 / 10
        var members = "name,sector\n"
        members.reserveCapacity(big * 20)
        for i in 2...(big + 1) {
            members += i == bad ? "\"unclosed,界\n" : "委员\(i),经济界\n"
        }
        var units = "名称,类型\n"
        for i in 2...(big + 1) { units += i == bad ? "单位\(i),not-a-kind\n" : "单位\(i),department\n" }
        var proposals = "title,category,kind,lead,filed_at\n"
        for i in 2...(big / 5 + 1) {
            proposals += i == bad / 5 ? "关于\(i)的建议,no-such-category,individual,测试委员,2021-01-12\n"
                : "关于\(i)的建议,社会民生,individual,测试委员,2021-01-12\n"
        }
        let gbkRow: [UInt8] = [0xD5, 0xC5, 0xC8, 0xFD, 0x2C, 0xC5, 0xA9, 0xD2, 0xB5, 0xBD, 0xE7, 0x0A]  // 张三,农业界 in GBK
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "name\n王委员\n".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        var garbage = Random(seed: harness.options.seed &+ 99)
        let noise = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &garbage) }
        return [
            CSVCase(name: "truncated row", importer: "members", bytes: utf8("name,sector\n甲委员,经济界\n乙委员\n"), error: "line 3"),
            CSVCase(name: "row cut inside a quote", importer: "members", bytes: utf8("name,sector\n甲委员,\"经济"), error: "line 2"),
            CSVCase(name: "extra field", importer: "units", bytes: utf8("name,kind\n城建局,department,x\n"), error: "line 2"),
            CSVCase(name: "GBK bytes", importer: "members", bytes: utf8("name,sector\n") + gbkRow, error: "line 2"),
            CSVCase(name: "Latin-1 byte", importer: "units", bytes: utf8("name\nCaf") + [0xE9] + utf8("\n"), error: "line 2"),
            CSVCase(name: "UTF-16 file", importer: "members", bytes: utf16, error: "UTF-16"),
            CSVCase(name: "random bytes", importer: "proposals", bytes: noise, error: "line"),
            CSVCase(name: "empty file", importer: "units", bytes: [], error: "empty"),
            CSVCase(name: "only a BOM", importer: "units", bytes: bom, error: "empty"),
            CSVCase(name: "NUL in a field", importer: "members", bytes: utf8("name\n甲") + [0] + utf8("委员\n"), error: "line 2"),
            CSVCase(name: "5 MB field", importer: "members", bytes: utf8("name\n") + [UInt8](repeating: 0x61, count: 5_000_000) + utf8("\n"), error: "line 2"),
            CSVCase(name: "10,000 columns", importer: "units", bytes: utf8((0..<10_000).map { "c\($0)" }.joined(separator: ",") + "\n"), error: "line 1"),
            CSVCase(name: "header twice the same", importer: "units", bytes: utf8("name,name\na,b\n"), error: "line 1"),
            CSVCase(name: "unknown column", importer: "units", bytes: utf8("name,drop table\na,b\n"), error: "line 1"),
            CSVCase(name: "\(big) members, line \(bad) broken", importer: "members", bytes: utf8(members), error: "line \(bad)"),
            CSVCase(name: "\(big) units, line \(bad) bad kind", importer: "units", bytes: utf8(units), error: "line \(bad)"),
            CSVCase(name: "\(big / 5) proposals, line \(bad / 5) bad category", importer: "proposals", bytes: utf8(proposals), error: "line \(bad / 5)"),
            CSVCase(name: "50 proposals, line 37 an unknown member (found while writing)", importer: "proposals",
                    bytes: utf8("title,category,kind,lead,filed_at\n"
                        + (2...51).map { "写入\($0),社会民生,individual,\($0 == 37 ? "查无此人" : "测试委员"),2021-01-12\n" }.joined()),
                    error: "line 37"),
            CSVCase(name: "BOM, CRLF and quotes (valid)", importer: "units",
                    bytes: bom + utf8("单位,类型\r\n\"城建局, 二科\",department\r\n\"引号\"\"局\",department\r\n"), error: nil),
        ]
    }

    /// Whether `line` names `expected` (`line 2` as `line 2,` or `line 2:`, not `line 20`).
    static func names(_ line: String, _ expected: String) -> Bool {
        guard expected.hasPrefix("line ") else { return line.contains(expected) }
        return line.contains(expected + ",") || line.contains(expected + ":")
    }

    static func fuzzCSV(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.fuzzCSV.rawValue)
        let database = try await prepare(harness)
        var baseline = try await harness.checksum(database)
        var lines: [String] = []
        for (index, item) in csvCases(harness).enumerated() {
            let file = harness.scratch + "/case-\(index).csv"
            try Data(item.bytes).write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let run = try await harness.tongxin(["import", item.importer, file, "--county", county], database: database)
            baseline = try await judge(run, harness: harness, database: database, baseline: baseline, into: &outcome)
            if let expected = item.error {
                if run.status == 0 {
                    outcome.partialWrites += 1
                    outcome.findings.append("\(item.name): accepted, should be refused naming \(expected)")
                } else if !Self.names(run.errorLines.first ?? "", expected) {
                    outcome.findings.append("\(item.name): the error does not name \"\(expected)\": \(run.stderr.prefix(200))")
                }
            } else if run.status != 0 {
                outcome.findings.append("\(item.name): refused: \(run.stderr.prefix(200))")
            }
            lines.append("\(item.name): " + (run.status == 0 ? "accepted" : String((run.errorLines.first ?? "").prefix(140))))
        }
        // Files that are not files.
        for path in ["/dev/zero", "/", "/nonexistent/x.csv", harness.scratch] {
            let run = try await harness.tongxin(["import", "members", path, "--county", county], database: database)
            baseline = try await judge(run, harness: harness, database: database, baseline: baseline, into: &outcome)
            if run.status == 0 { outcome.findings.append("\(path): accepted as a CSV file") }
            lines.append("\(path): " + String((run.errorLines.first ?? "").prefix(140)))
        }
        outcome.notes = lines
        return outcome
    }

    // MARK: Injection

    static let injections: [String] = [
        "'; DROP TABLE proposal; --", "Robert'); DROP TABLE member;--", "\" OR \"1\"=\"1", "x' OR '1'='1' --",
        "$(touch /tmp/pwned)", "`id`", "; rm -rf ~ #", "<script>alert('提案')</script>", "<img src=x onerror=alert(1)>",
        "%s%n%x%d", "{{7*7}}", "${jndi:ldap://x/a}", "\\x00\\'\\\"", "-- 注释", "/* */ SELECT 1", "\u{202E}反转",
    ]

    static func injection(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.injection.rawValue)
        let database = try await prepare(harness)
        /// Runs a command the way a careful script does: options as `--name=value`, the
        /// positional value after `--`, so values starting with `-` are values.
        /// The steps run as the connected operator replaying the training county; `actor` is
        /// the display name of an account made for each string (`account add --name`).
        func tongxin(_ path: [String], _ positional: String? = nil, _ options: KeyValuePairs<String, String> = [:], actor: String) async throws -> Harness.Run {
            var arguments = path + ["--county=" + county] + options.map { "--\($0.key)=\($0.value)" }
            if let positional { arguments += ["--", positional] }
            let run = try await harness.tongxin(arguments, database: database)
            if run.trapped { outcome.traps += 1 }
            if run.status != 0 { outcome.findings.append("\(path.joined(separator: " ")) with \(actor.debugDescription): \(run.stderr.prefix(200))") }
            return run
        }
        var written = 0
        for (i, text) in injections.enumerated() {
            let tag = "\(i)"
            let sector = "界\(tag)" + text
            let member = text + "委员\(tag)"
            let unit = text + "局\(tag)"
            let actor = "员\(tag)" + text
            _ = try await tongxin(["account", "add"], "inj\(tag)", ["role": "staff", "name": actor], actor: actor)
            _ = try await tongxin(["sector", "add"], sector, actor: actor)
            _ = try await tongxin(["member", "add"], member, ["sector": sector], actor: actor)
            _ = try await tongxin(["unit", "add"], unit, actor: actor)
            func file(_ title: String) async throws -> String? {
                let filed = try await tongxin(["proposal", "file"], nil, [
                    "title": title, "body": text + "正文", "category": "社会民生", "kind": "individual", "lead": member, "as-of": "2021-02-01T09:00",
                ], actor: actor)
                return filed.stdout.split(separator: "\n").first.flatMap { $0.split(separator: " ").dropFirst().first }.map(String.init)
            }
            _ = try await tongxin(["unit", "add"], text + "协办局\(tag)", actor: actor)
            guard let number = try await file(text + "标题\(tag)"), let second = try await file(text + "撤回\(tag)"),
                  let third = try await file(text + "退回\(tag)"), let fourth = try await file(text + "不予立案\(tag)")
            else {
                outcome.lost += 20
                outcome.findings.append("proposal file with \(text.debugDescription) printed no number: its 20 fields were not checked")
                continue
            }
            // A declined one (with a note), one a unit hands back (with a reason).
            _ = try await tongxin(["proposal", "review", "--decline", "other"], fourth, ["note": text + "不予立案说明", "as-of": "2021-02-02"], actor: actor)
            _ = try await tongxin(["proposal", "review", "--register"], third, ["as-of": "2021-02-02"], actor: actor)
            _ = try await tongxin(["proposal", "assign"], third, ["lead": unit, "as-of": "2021-02-03"], actor: actor)
            _ = try await tongxin(["proposal", "unit-return"], third, ["unit": unit, "reason": text + "退回理由", "as-of": "2021-02-04"], actor: actor)
            _ = try await tongxin(["proposal", "review", "--register"], number, ["as-of": "2021-02-02"], actor: actor)
            _ = try await tongxin(["proposal", "withdraw"], second, ["reason": text + "撤回理由", "as-of": "2021-02-02"], actor: actor)
            _ = try await tongxin(["proposal", "assign"], number, ["lead": unit, "co": text + "协办局\(tag)", "as-of": "2021-02-03"], actor: actor)
            _ = try await tongxin(["proposal", "opinion"], number, ["unit": text + "协办局\(tag)", "text": text + "协办意见", "as-of": "2021-02-10"], actor: actor)
            _ = try await tongxin(["proposal", "mark-key"], number, ["supervisor": text + "督办人", "as-of": "2021-02-04"], actor: actor)
            _ = try await tongxin(["proposal", "supervise"], number, [
                "kind": "meeting", "supervisor": text + "督办人", "note": text + "督办记录", "held-on": "2021-02-05",
            ], actor: actor)
            _ = try await tongxin(["proposal", "reply"], number, ["unit": unit, "category": "A", "text": text + "答复", "as-of": "2021-03-01"], actor: actor)
            _ = try await tongxin(["proposal", "evaluate"], number, [
                "member": member, "rating": "satisfied", "comment": text + "评价", "as-of": "2021-03-02",
            ], actor: actor)
            let suggestion = try await tongxin(["suggestion", "file"], nil, ["member": member, "title": text + "微建议", "body": text + "内容", "as-of": "2021-04-01"], actor: actor)
            if let id = suggestion.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("W") }).map(String.init) {
                _ = try await tongxin(["suggestion", "route"], id, ["unit": unit, "as-of": "2021-04-02"], actor: actor)
                _ = try await tongxin(["suggestion", "reply"], id, ["unit": unit, "text": text + "微建议答复", "as-of": "2021-04-03"], actor: actor)
            }
            let rejected = try await tongxin(["suggestion", "file"], nil, ["member": member, "title": text + "不采纳\(tag)", "as-of": "2021-04-01"], actor: actor)
            if let id = rejected.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("W") }).map(String.init) {
                _ = try await tongxin(["suggestion", "reject"], id, ["reason": text + "不采纳理由", "as-of": "2021-04-02"], actor: actor)
            }
            _ = try await tongxin(["activity", "add"], nil, ["kind": "visit-made", "on": "2021-05-01", "peer": text + "政协", "note": text + "备注"], actor: actor)
            // Read everything back as JSON: each value must be there, exactly — the main ones in
            // their own field, the rest anywhere in the reads (notes and reasons live in the
            // proposal's timeline and the audit log).
            var shown = Set<String>()
            var fields: [String: Set<String>] = [:]
            for read in [["proposal", "show", number], ["proposal", "show", second], ["proposal", "show", third], ["proposal", "show", fourth],
                         ["suggestion", "list", "--year", "2021"], ["member", "list"], ["unit", "list"], ["sector", "list"],
                         ["suggestion", "list"], ["activity", "list"], ["audit", "log"], ["account", "list"]] {
                let run = try await harness.tongxin(read + ["--county", county, "--format", "json"], database: database)
                guard run.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) else {
                    outcome.findings.append("\(read.joined(separator: " ")) --format json failed: \(run.stderr.prefix(200))")
                    continue
                }
                collectStrings(json, into: &shown)
                let place = read.prefix(2).joined(separator: " ")
                if place == "proposal show", read[2] == number, let object = json as? [String: Any] {
                    for key in ["title", "body"] { fields["proposal." + key, default: []].insert(object[key] as? String ?? "") }
                }
                for list in ["member list", "unit list", "account list"] where place == list {
                    let key = list == "account list" ? "display_name" : "name"
                    for row in json as? [[String: Any]] ?? [] { fields[list, default: []].insert(row[key] as? String ?? "") }
                }
                if place == "sector list" { fields[place, default: []].formUnion(json as? [String] ?? []) }
            }
            let placed: [(String, String)] = [
                ("proposal.title", text + "标题\(tag)"), ("proposal.body", text + "正文"),
                ("member list", member), ("unit list", unit), ("sector list", sector), ("account list", actor),
            ]
            for (place, value) in placed where !(fields[place] ?? []).contains(value) {
                outcome.lost += 1
                outcome.findings.append("\(value.debugDescription) is not shown literally in \(place)")
            }
            let expected = [sector, member, unit, actor, text + "标题\(tag)", text + "正文", text + "撤回理由", text + "答复", text + "评价",
                            text + "督办人", text + "督办记录", text + "微建议", text + "内容", text + "微建议答复", text + "政协", text + "备注",
                            text + "不予立案说明", text + "退回理由", text + "协办意见", text + "不采纳理由"]
            for value in expected {
                outcome.runs += 1
                written += 1
                if !shown.contains(value) {
                    outcome.lost += 1
                    outcome.findings.append("\(value.debugDescription) is not shown literally")
                }
            }
        }
        // The county is whole and its audit chain holds.
        let verified = try await harness.tongxin(["audit", "verify", "--county", county], database: database)
        if verified.status != 0 { outcome.findings.append("audit verify: \(verified.stderr.prefix(200))") }
        // The HTML report escapes what it shows.
        let html = harness.scratch + "/units.html"
        let report = try await harness.tongxin(["report", "units", "--county", county, "--year", "2021", "--html", html], database: database)
        let page = (try? String(contentsOfFile: html, encoding: .utf8)) ?? ""
        if report.status != 0 { outcome.findings.append("report units --html: \(report.stderr.prefix(200))") }
        if page.contains("<script>alert") || page.contains("<img src=x") {
            outcome.findings.append("the HTML report shows markup from a unit's name unescaped")
        }
        outcome.notes = [
            "\(injections.count) strings × 20 free-text fields (sector, member, unit, account name, title, body, withdrawal reason, decline note, unit's return reason, co-unit opinion, reply, comment, supervisor, supervision note, micro-suggestion title, body, reply and rejection reason, peer, note): \(written) written, \(written - outcome.lost) read back literally as JSON",
            "audit verify: \(verified.stdout.split(separator: "\n").last ?? "-"); HTML report escapes markup: \(!page.contains("<script>alert"))",
        ]
        return outcome
    }

    static func collectStrings(_ value: Any, into set: inout Set<String>) {
        if let text = value as? String {
            set.insert(text)
        } else if let array = value as? [Any] {
            for item in array { collectStrings(item, into: &set) }
        } else if let object = value as? [String: Any] {
            for item in object.values { collectStrings(item, into: &set) }
        }
    }
}

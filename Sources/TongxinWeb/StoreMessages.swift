import Foundation
import Workflow

/// The store's one-line messages in Chinese.
///
/// The store and the rules speak English (the language of the CLI and the logs). A page in Chinese
/// shows their refusals translated from this catalogue: a message is taken apart into its known
/// prefixes (the proposal, the step, the field, the line) and its reason. When any part of it is
/// not in the catalogue, the page says so in Chinese and shows the English as it is — never half a
/// translation that could say something the store did not.
enum StoreMessages {
    /// What a page shows for a store message in the page's language.
    static func shown(_ message: String, _ t: Tr) -> String {
        guard t.lang == .zh else { return message }
        return chinese(message) ?? "未能完成（系统原文）：\(message)"
    }

    /// The message in Chinese, or nil when a part of it is not in the catalogue.
    static func chinese(_ message: String) -> String? {
        translate(message.trimmingCharacters(in: .whitespaces))
    }

    // MARK: Taking a message apart

    /// A pattern and what it says in Chinese, given its groups. (NSRegularExpression: immutable
    /// and safe to share between threads, unlike a lazily compiled `Regex`.)
    private struct Rule: @unchecked Sendable {
        let pattern: NSRegularExpression
        let render: @Sendable ([String]) -> String?
    }

    private static func rule(_ pattern: String, _ render: @escaping @Sendable ([String]) -> String?) -> Rule? {
        guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$", options: [.dotMatchesLineSeparators]) else { return nil }
        return Rule(pattern: regex, render: render)
    }

    /// Applies the first rule whose pattern matches the whole text.
    private static func apply(_ rules: [Rule], to text: String) -> String?? {
        let range = NSRange(text.startIndex..., in: text)
        for rule in rules {
            guard let match = rule.pattern.firstMatch(in: text, range: range) else { continue }
            let groups = (1..<max(1, match.numberOfRanges)).map { index -> String in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
            return .some(rule.render(groups))
        }
        return .none
    }

    private static func translate(_ text: String) -> String? {
        if let known = apply(prefixes, to: text) { return known }
        if let known = apply(reasons, to: text) { return known }
        return nil
    }

    /// A part that must translate for the whole to.
    private static func part(_ text: String, _ build: (String) -> String) -> String? {
        translate(text).map(build)
    }

    // MARK: The catalogue

    /// The prefixes a message is built from, each followed by a message of its own.
    private static let prefixes: [Rule] = [
        rule(#"proposal ([0-9]{4}-[0-9]{3,4}): (.+)"#) { g in part(g[1]) { "提案\(g[0])：\($0)" } },
        rule(#"(W[0-9]{4}-[0-9]{3,4}): (.+)"#) { g in part(g[1]) { "微建议\(g[0])：\($0)" } },
        rule(#"not allowed: \S+ \([a-z]+\) is linked to no member of county .*"#) { _ in "无权操作：该账号没有关联本县委员" },
        rule(#"not allowed: [^:]+: (.+)"#) { g in part(g[0]) { "无权操作：\($0)" } },
        rule(#"cannot ([a-z-]+) the micro-suggestion: (.+)"#) { g in
            guard let step = steps[g[0]] else { return nil }
            return part(g[1]) { "不能\(step)：\($0)" }
        },
        rule(#"cannot ([a-z-]+): (.+)"#) { g in
            guard let step = steps[g[0]] else { return nil }
            return part(g[1]) { "不能\(step)：\($0)" }
        },
        rule(#"line ([0-9]+), field ([0-9]+): longer than ([0-9]+) characters"#) { g in "第\(g[0])行第\(g[1])个字段：超过\(g[2])个字符" },
        rule(#"line ([0-9]+), field ([a-z_]+): (.+)"#) { g in
            guard let field = fields[g[1]] else { return nil }
            return fieldReason(g[2]).map { "第\(g[0])行，\(field)：\($0)" }
        },
        rule(#"line ([0-9]+): (.+)"#) { g in part(g[1]) { "第\(g[0])行：\($0)" } },
        rule(#"(--)?([a-z_ -]+?): (.+)"#) { g in
            // `--lead` is the lead unit of an assignment and the lead author of a draft: said
            // in English rather than guessed.
            guard !(g[0] == "--" && ambiguous.contains(g[1])), let field = fields[g[1]] else { return nil }
            return fieldReason(g[2]).map { "\(field)：\($0)" }
        },
    ].compactMap { $0 }

    /// What a field's check says.
    private static func fieldReason(_ text: String) -> String? {
        if let known = apply(fieldReasons, to: text) { return known }
        return translate(text)
    }

    private static let fieldReasons: [Rule] = [
        rule(#"must not be empty"#) { _ in "不能为空" },
        rule(#"([0-9]+) characters, at most ([0-9]+)"#) { g in "\(g[0])个字，最多\(g[1])个字" },
        rule(#"contains a NUL character|contains a control character \(.*\)|has a control character"#) { _ in "含有不可见的控制字符" },
        rule(#"too short \(([0-9]+) characters; at least ([0-9]+)\)"#) { g in "太短（\(g[0])个字符，至少\(g[1])个）" },
        rule(#"too long \(at most ([0-9]+) characters\)"#) { g in "太长（最多\(g[0])个字符）" },
        rule(#"must not contain the login"#) { _ in "不能包含账号名" },
        rule(#"is a common password .*"#) { _ in "是常见密码，请另选一个" },
        rule(#""(.*)" is not a telephone number"#) { g in "「\(g[0])」不是电话号码" },
        rule(#""(.*)" is not a date or time like .*"#) { g in "「\(g[0])」不是日期或时间（如 2021-03-01）" },
        rule(#""(.*)" is not one of .*"#) { g in "「\(g[0])」不在可选范围内" },
        rule(#""(.*)" is not yes or no"#) { g in "「\(g[0])」应为是或否" },
        rule(#""(.*)" is not a proposal number like .*"#) { g in "「\(g[0])」不是提案编号（如 2021-057）" },
        rule(#"no proposal (\S+) in county .*"#) { g in "没有提案\(g[0])" },
        rule(#""(.*)" is not a year"#) { g in "「\(g[0])」不是年份" },
        rule(#"no member "(.*)"( in county .*)?"#) { g in "没有委员「\(g[0])」" },
        rule(#"no handling unit "(.*)"( in county .*)?"#) { g in "没有承办单位「\(g[0])」" },
        rule(#"no sector "(.*)"( in county .*)?"#) { g in "没有界别「\(g[0])」" },
        rule(#"no member (.+)"#) { g in "没有委员「\(g[0])」" },
        rule(#"member (.+) is not active"#) { g in "委员「\(g[0])」已停用" },
        rule(#"unit (.+) is not active"#) { g in "承办单位「\(g[0])」已停用" },
        rule(#"member (.+) exists already"#) { g in "委员「\(g[0])」已存在" },
        rule(#"unit (.+) exists already"#) { g in "承办单位「\(g[0])」已存在" },
        rule(#"name the member"#) { _ in "请填写委员" },
        rule(#"name the handling unit"#) { _ in "请填写承办单位" },
        rule(#"each author is named once"#) { _ in "每位提案人只能列一次" },
        rule(#"each unit is named once"#) { _ in "每个单位只能列一次" },
        rule(#"the lead is not a co-author of their own proposal"#) { _ in "领衔人不能同时是联名人" },
        rule(#"each co-author confirms first.*"#) { _ in "联名人须先在本人页面确认：请先暂存，待联名人确认后再提交" },
        rule(#"a joint proposal names at least one co-author"#) { _ in "联名提案至少要有一位联名人" },
        rule(#"an individual proposal has no co-authors.*"#) { _ in "个人提案没有联名人（有联名人请按联名提案提交）" },
        rule(#"at most ([0-9]+)"#) { g in "最多\(g[0])个" },
        rule(#"waiting for co-authors to confirm: (.+)"#) { g in "等待联名人确认：\(g[0])" },
        rule(#"it is ([a-z]+); only an open draft changes"#) { g in draftStatus(g[0]).map { "草稿\($0)，只能修改未提交的草稿" } },
        rule(#"(.+) is not invited to co-sign it"#) { g in "\(g[0])未被邀请联名" },
        rule(#"no (20[0-9]{2}|1[0-9]{3}) session in county .*"#) { g in "本县还没有\(g[0])年度的会议届次，请先开设" },
        rule(#"proposal (.+) exists already"#) { g in "提案编号\(g[0])已存在" },
    ].compactMap { $0 }

    /// The rules' reasons.
    private static let reasons: [Rule] = [
        rule(#"the proposal is ([a-z]+), not (.+)"#) { g in
            guard let now = status(g[0]), let allowed = statuses(g[1]) else { return nil }
            return "提案当前为「\(now)」，此步骤只适用于「\(allowed.joined(separator: "」或「"))」"
        },
        rule(#"the proposal is ([a-z]+)"#) { g in status(g[0]).map { "提案当前为「\($0)」" } },
        rule(#"it is ([a-z]+), not ([a-z]+)"#) { g in
            guard let now = suggestionStatus(g[0]), let allowed = suggestionStatus(g[1]) else { return nil }
            return "当前为「\(now)」，此步骤只适用于「\(allowed)」"
        },
        rule(#"it is routed to (.+), not (.+)"#) { g in "已转交\(g[0])，不是\(g[1])" },
        rule(#"it is not routed to a unit"#) { _ in "尚未转交承办单位" },
        rule(#"the return window ended on ([0-9-]+)"#) { g in "申退期限已于\(g[0])截止" },
        rule(#"the evaluation window ended on ([0-9-]+)"#) { g in "评价期已于\(g[0])结束" },
        rule(#"the evaluation window runs until ([0-9-]+)"#) { g in "评价期到\(g[0])才结束" },
        rule(#"the proposal has no evaluation window"#) { _ in "该提案不在评价期" },
        rule(#"the longest extension ends on ([0-9-]+)"#) { g in "延期最长只能到\(g[0])" },
        rule(#"the deadline asked for, ([0-9-]+), is not after the current one ([0-9-]+)"#) { g in "申请的期限\(g[0])不晚于现在的期限\(g[1])" },
        rule(#"the new deadline ([0-9-]+) is not after the current one ([0-9-]+)"#) { g in "新的期限\(g[0])不晚于现在的期限\(g[1])" },
        rule(#"the new deadline ([0-9-]+) is before the assignment"#) { g in "新的期限\(g[0])早于交办日期" },
        rule(#"the deadline ([0-9-]+) is not after the assignment on ([0-9-]+)"#) { g in "期限\(g[0])不晚于交办日期\(g[1])" },
        rule(#"unit (.+) acknowledged it already"#) { g in "\(g[0])已签收" },
        rule(#"unit (.+) asked for an extension already \(until ([0-9-]+)\); the office has not decided"#) { g in
            "\(g[0])已申请延期至\(g[1])，提案委尚未审批"
        },
        rule(#"unit (.+) co-handles: it sends its opinion to the lead unit, which replies"#) { g in "\(g[0])是会办单位：把会办意见送主办单位，由主办单位答复" },
        rule(#"unit (.+) is not assigned( to it| to this proposal)?"#) { g in "该提案没有交\(g[0])办理" },
        rule(#"no reply of unit (.+) awaits review"#) { g in "\(g[0])没有待审核的答复" },
        rule(#"member (.+) has rated round ([0-9]+) already"#) { g in "\(g[0])已对第\(g[1])轮办理作出评价" },
        rule(#"member (.+) is not an author of this proposal"#) { g in "\(g[0])不是该提案的提案人" },
        rule(#"round ([0-9]+) is rated; a consultation is due"#) { g in "第\(g[0])轮已评价，下一步是当面协商" },
        rule(#"rating has begun; merge before the reply is rated"#) { _ in "已开始评价；并案须在评价之前" },
        rule(#"cannot merge a proposal into itself"#) { _ in "不能与自身并案" },
        rule(#"only key proposals are supervised; mark it key first"#) { _ in "只督办重点提案；请先列为重点提案" },
        rule(#"the proposal is a key proposal already"#) { _ in "该提案已是重点提案" },
        rule(#"only a co-unit gives an opinion"#) { _ in "只有会办单位提交会办意见" },
        rule(#"a co-unit gives its opinion; the lead unit replies"#) { _ in "会办单位提交会办意见，由主办单位答复" },
        rule(#"a co-unit's view has no extension"#) { _ in "会办意见不能申请延期" },
        rule(#"a consultation follows an unsatisfied second round"#) { _ in "第二轮办理仍不满意，才进行当面协商" },
        rule(#"a proposal has one lead unit, not ([0-9]+)"#) { g in "一件提案只有一个主办单位，不能是\(g[0])个" },
        rule(#"a lead unit and parallel units do not mix"#) { _ in "主办和分办不能同时使用" },
        rule(#"parallel handling needs two units or more; make a single unit the lead"#) { _ in "分办至少要两个单位；只有一个单位请设为主办" },
        rule(#"co-handling units work with a lead unit"#) { _ in "会办单位须配合主办单位" },
        rule(#"name a lead unit or parallel units"#) { _ in "请指定主办单位或分办单位" },
        rule(#"name at least one unit"#) { _ in "请至少指定一个单位" },
        rule(#"it is not assigned to the unit"#) { _ in "该提案没有交本单位办理" },
        rule(#"it is not the member's own"#) { _ in "不是本人的提案" },
        rule(#"it is the member's own|a rating is the member's own.*"#) { _ in "只能由委员本人办理" },
        rule(#"it is the unit's own|a reply is the unit's own.*|a unit answers for itself only"#) { _ in "只能由承办单位本身办理" },
        rule(#"it is the office's"#) { _ in "由提案委办理" },
        rule(#"it is the operator's"#) { _ in "由系统运维办理" },
        rule(#"only the invited member answers"#) { _ in "只有受邀的委员本人可以答复" },
        rule(#"only for themself"#) { _ in "只能以本人名义" },
        rule(#"a member files, withdraws and rates their own proposals"#) { _ in "委员只提交、撤回和评价本人的提案" },
        rule(#"a handling unit answers its own assignments"#) { _ in "承办单位只办理交给本单位的提案" },
        rule(#"a handling unit never rates"#) { _ in "承办单位不作评价" },
        rule(#"a leader only reads"#) { _ in "领导只查阅" },
        rule(#"a supervisor supervises key proposals and reads"#) { _ in "督办人员只督办重点提案和查阅" },
        rule(#"only staff enter another person's act from paper"#) { _ in "只有提案委工作人员可以代录纸质材料" },
        rule(#"the account does not belong to county .*"#) { _ in "该账号不属于本县" },
        rule(#"the account is linked to no member"#) { _ in "该账号没有关联委员" },
        rule(#"the account is linked to no unit"#) { _ in "该账号没有关联承办单位" },
        rule(#"this account is linked to no member"#) { _ in "该账号没有关联委员" },
        rule(#"the county is not marked demo or training"#) { _ in "本县不是演示或培训县" },
        rule(#"([0-9]+) fields, the header has ([0-9]+)"#) { g in "有\(g[0])个字段，而表头有\(g[1])个" },
        rule(#"a quote inside an unquoted field.*"#) { _ in "未加引号的字段里有引号（请给整个字段加引号，字段里的引号写两次）" },
        rule(#"text after a closing quote.*"#) { _ in "引号后面还有文字（字段里的引号请写两次）" },
        rule(#"a quoted field is not closed"#) { _ in "引号没有闭合" },
        rule(#"not valid UTF-8.*"#) { _ in "不是有效的 UTF-8 文字（请把文件另存为 UTF-8 编码的 CSV）" },
        rule(#"the file is UTF-16.*"#) { _ in "文件是 UTF-16 编码（请另存为 UTF-8 编码的 CSV）" },
        rule(#"the file is empty"#) { _ in "文件是空的" },
    ].compactMap { $0 }

    // MARK: Words

    private static let fields: [String: String] = [
        "title": "案由", "body": "正文", "text": "内容", "reason": "理由", "comment": "意见", "note": "备注",
        "category": "类别", "local_category": "本地类别", "kind": "类型", "lead": "领衔人", "author": "提案人",
        "co_authors": "联名人", "co": "会办单位", "parallel": "分办单位", "preferred_units": "希望承办单位",
        "phone": "联系电话", "contact": "联系人", "signer": "签发人", "document-number": "文号",
        "number": "编号", "session": "会议届次", "member": "委员", "unit": "承办单位", "name": "名称", "sector": "界别",
        "assign": "交办", "draft": "草稿", "new password": "新密码", "password": "密码", "supervisor": "督办人",
        "peer": "来访单位", "outcome": "结果", "merge-into": "并入提案", "backdate-reason": "补录理由",
        "filed_at": "提交时间", "active": "是否在职", "micro-suggestion": "微建议",
    ]

    /// Fields whose flag names different things in different steps.
    private static let ambiguous: Set<String> = ["lead"]

    private static let steps: [String: String] = [
        "register": "立案", "decline": "不予立案", "convert": "转为意见", "merge": "并案", "absorb": "并案",
        "return": "退回修改", "resubmit": "重新提交", "withdraw": "撤回", "assign": "交办", "unit-return": "申退",
        "extend": "延期", "reply": "答复", "submit-reply": "提交答复", "approve-reply": "审核通过答复",
        "send-back-reply": "退回答复", "evaluate": "评价", "opinion": "提交会办意见", "acknowledge": "签收",
        "request-extension": "申请延期", "refuse-extension": "不同意延期", "supervise": "督办", "rehandle": "重新办理",
        "consult": "当面协商", "mark-key": "列为重点提案", "close-evaluation": "结束评价", "route": "转交", "reject": "不予采用",
    ]

    /// A proposal status in Chinese; nil for a word that is not one.
    private static func status(_ raw: String) -> String? {
        ProposalStatus(rawValue: raw).map { Tr(lang: .zh).status($0.rawValue) }
    }

    /// "filed", "filed or returned", "filed, returned or merged": each in Chinese, or nil.
    private static func statuses(_ list: String) -> [String]? {
        let words = list.replacingOccurrences(of: " or ", with: ", ").components(separatedBy: ", ")
        let translated = words.compactMap(status)
        return translated.count == words.count ? translated : nil
    }

    /// The pages' own labels, for a word that is one of the statuses (else nil).
    private static func suggestionStatus(_ raw: String) -> String? {
        SuggestionStatus(rawValue: raw).map { Tr(lang: .zh).suggestionStatus($0.rawValue) }
    }

    private static func draftStatus(_ raw: String) -> String? {
        DraftStatus(rawValue: raw).map { Tr(lang: .zh).draftStatus($0.rawValue) }
    }
}

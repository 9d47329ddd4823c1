import Workflow

/// The page language: Chinese first, English available (a cookie, else Accept-Language).
public enum Lang: String, Sendable {
    case zh, en

    /// Chooses from the `lang` cookie, else the browser's Accept-Language (Chinese unless English comes first).
    static func choose(cookie: String?, acceptLanguage: String?) -> Lang {
        if let cookie, let lang = Lang(rawValue: cookie) { return lang }
        guard let accept = acceptLanguage?.lowercased() else { return .zh }
        let first = accept.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return first.hasPrefix("en") ? .en : .zh
    }

    var htmlCode: String { self == .zh ? "zh-CN" : "en" }
}

/// Bilingual text at the place it is used: `t("提案", "Proposals")`.
struct Tr: Sendable {
    let lang: Lang
    func callAsFunction(_ zh: String, _ en: String) -> String { lang == .zh ? zh : en }

    func status(_ raw: String) -> String {
        guard let status = ProposalStatus(rawValue: raw) else { return raw }
        switch status {
        case .filed: return self("待审查", "filed")
        case .returned: return self("已退回", "returned")
        case .withdrawn: return self("已撤回", "withdrawn")
        case .declined: return self("不予立案", "declined")
        case .converted: return self("转为意见", "converted")
        case .merged: return self("已并案", "merged")
        case .registered: return self("已立案", "registered")
        case .assigned: return self("办理中", "being handled")
        case .replied: return self("已答复", "replied")
        case .rehandling: return self("重新办理", "re-handled")
        case .closed: return self("已办结", "closed")
        }
    }

    /// A micro-suggestion's status.
    func suggestionStatus(_ raw: String) -> String {
        switch raw {
        case "filed": return self("待交办", "filed")
        case "routed": return self("办理中", "with a unit")
        case "replied": return self("已答复", "replied")
        case "closed": return self("已办结", "closed")
        case "rejected": return self("不予采用", "rejected")
        default: return raw
        }
    }

    /// A draft's status.
    func draftStatus(_ raw: String) -> String {
        switch raw {
        case "submitted": return self("已提交", "filed")
        case "discarded": return self("已删除", "discarded")
        default: return self("草稿", "draft")
        }
    }

    func role(_ role: String) -> String {
        switch role {
        case "lead": return self("主办", "lead")
        case "co": return self("会办", "co-handling")
        case "parallel": return self("分办", "parallel")
        case Role.member.rawValue: return self("委员", "member")
        case Role.unit.rawValue: return self("承办单位", "handling unit")
        case Role.staff.rawValue: return self("提案委工作人员", "proposal office")
        case Role.supervisor.rawValue: return self("督办", "supervisor")
        case Role.leader.rawValue: return self("领导", "leader")
        case Role.operator.rawValue: return self("运维", "operator")
        default: return role
        }
    }

    func rating(_ raw: String) -> String {
        switch raw {
        case "satisfied": return self("满意", "satisfied")
        case "basic": return self("基本满意", "basically satisfied")
        case "unsatisfied": return self("不满意", "unsatisfied")
        default: return raw
        }
    }

    func category(_ category: ProposalCategory) -> String { lang == .zh ? category.chinese : category.rawValue.replacingOccurrences(of: "_", with: " ") }
    func kind(_ kind: ProposalKind) -> String { lang == .zh ? kind.chinese : kind.rawValue }

    func category(_ raw: String) -> String { ProposalCategory(rawValue: raw).map { category($0) } ?? raw }
    func kind(_ raw: String) -> String { ProposalKind(rawValue: raw).map { kind($0) } ?? raw }

    func replyCategory(_ raw: String) -> String {
        switch raw {
        case "A": return self("A类（已解决或采纳）", "A (solved or adopted)")
        case "B": return self("B类（正在解决或列入计划）", "B (being solved or planned)")
        case "C": return self("C类（因条件限制暂缓解决）", "C (deferred by conditions)")
        case "D": return self("D类（留作参考）", "D (kept for reference)")
        default: return raw
        }
    }

    func decline(_ reason: DeclineReason) -> String {
        switch reason {
        case .stateSecret: return self("涉及国家秘密", "state secret")
        case .personalMatter: return self("个人私事", "personal matter")
        case .inLitigation: return self("涉及诉讼", "in litigation")
        case .productPromotion: return self("宣传推介产品", "product promotion")
        case .accusation: return self("检举控告", "accusation")
        case .noConcreteProposal: return self("没有具体建议", "no concrete proposal")
        case .outsideCompetence: return self("超出职权范围", "outside competence")
        case .other: return self("其他", "other")
        }
    }

    func action(_ raw: String) -> String {
        switch raw {
        case "file": return self("提交", "filed")
        case "register": return self("立案", "registered")
        case "decline": return self("不予立案", "declined")
        case "return": return self("退回修改", "returned to the author")
        case "convert": return self("转为意见", "converted")
        case "merge": return self("并案", "merged")
        case "withdraw": return self("撤回", "withdrawn")
        case "resubmit": return self("重新提交", "resubmitted")
        case "assign": return self("交办", "assigned")
        case "acknowledge": return self("签收", "acknowledged")
        case "unit_return", "unit-return": return self("申退", "returned by the unit")
        case "request_extension": return self("申请延期", "extension requested")
        case "refuse_extension": return self("不同意延期", "extension refused")
        case "extend": return self("延期", "deadline extended")
        case "co_opinion": return self("会办意见", "co-handling view")
        case "reply": return self("答复", "replied")
        case "evaluate": return self("评价", "rated")
        case "consult": return self("当面协商", "consultation")
        case "mark_key": return self("列为重点提案", "marked key")
        case "supervise": return self("督办", "supervised")
        case "overdue": return self("逾期", "overdue")
        case "close": return self("办结", "closed")
        default: return raw
        }
    }
}

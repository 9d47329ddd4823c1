extension AnnualReport {
    /// A short bilingual summary, one figure group a line (`tongxin demo summary`): the same
    /// figures as the report's table, by the same definitions.
    public var summaryLines: [String] {
        func percent(_ part: Int, _ whole: Int) -> String {
            guard whole > 0 else { return "–" }
            let tenths = (part * 1000 + whole / 2) / whole
            return "\(tenths / 10).\(tenths % 10)%"
        }
        let names = { (list: [String]) in list.isEmpty ? "" : ": " + list.joined(separator: "、") }
        let count = { (n: Int?) in n.map(String.init) ?? "–" }
        return [
            "\(countyName) (\(county)) \(year)\(session.map { " \($0)" } ?? "") · 委员 members \(members)",
            "提案 filed \(filed) (会上 \(filedAtSession), 闭会期间 \(filedBetweenSessions))",
            "立案 registered \(registered) · 不予立案 declined \(declined) · 转意见 converted \(converted) · 并案 merged \(merged)"
                + " · 撤案 withdrawn \(withdrawn) · 退回修改 returned \(count(returned))",
            "办复 replied \(replied) · 按时 on time \(onTimeRate.count) (\(percent(onTimeRate.count, onTimeRate.of))) · 延期 extended \(count(extended))"
                + " · 重点提案 key \(keyProposals)",
            "评价 evaluated \(evaluated) · 满意 satisfied \(satisfied) · 基本满意 basic \(basic) · 不满意 unsatisfied \(unsatisfied)"
                + " (满意和基本满意 \(percent(satisfied + basic, evaluated)))",
            "重新办理 re-handled \(rehandled) · 面商 consulted \(count(consulted))",
            "微建议 micro-suggestions \(microSuggestions) · 办复 replied \(count(microSuggestionsReplied))"
                + " · 按时 on time \(microSuggestionsOnTimeRate.count)",
            "线上履职 online events \(onlineEvents) · 委员值班 duty days \(onlineDutyDays)",
            "民主监督 supervised units \(supervisedUnits)\(names(supervisedUnitNames))",
            "委员工作室 studios new \(studiosOpened) / total \(studiosTotal)",
            "考察交流 hosted \(visitsHosted)\(names(hostedPeers)) · visited \(visitsMade)\(names(visitedPeers))",
        ]
    }
}

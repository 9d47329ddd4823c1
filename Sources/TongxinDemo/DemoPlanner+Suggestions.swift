import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

extension DemoPlanner {
    // MARK: Micro-suggestions

    mutating func planSuggestions() throws {
        enum Fate { case onTime, late, rejected }
        var fates = Array(repeating: Fate.late, count: profile.microSuggestionsLate)
        fates += Array(repeating: .rejected, count: profile.microSuggestionsRejected)
        fates += Array(repeating: .onTime, count: max(0, profile.microSuggestions - fates.count))
        fates = rng.shuffled(fates)
        let last = try CalendarDate(year: year, month: 11, day: 30)
        var filings: [Moment] = []
        for _ in fates { filings.append(member(try day(opened, last), after: nil)) }
        filings.sort()
        let fallbackUnit = profile.units.contains("城管局") ? "城管局" : profile.units.first ?? ""
        for (s, (filed, fate)) in zip(filings, fates).enumerated() {
            let place = rng.pick(DemoCatalog.suggestionPlaces) ?? "集镇"
            let title: String
            let unit: String
            if rng.chance(0.5), let facility = rng.pick(DemoCatalog.suggestionFacilities) {
                title = "关于在\(town())\(place)增设\(facility.facility)的建议"
                unit = resolve(facility.unit) ?? fallbackUnit
            } else {
                let issue = rng.pick(DemoCatalog.suggestionIssues) ?? (issue: "路面坑洼积水", unit: "交通运输局")
                title = "\(town())\(place)\(issue.issue)问题亟待解决"
                unit = resolve(issue.unit) ?? fallbackUnit
            }
            let author = rng.pick(people.members)?.name ?? ""
            add(filed, .fileSuggestion(s, member: author, title: title, body: "\(title)，群众反映强烈，建议尽快处理。"))
            let routedOn = try workday(filed.day, try filed.day.plus(2))
            let routed = office(routedOn, after: filed)
            if fate == .rejected {
                add(routed, .rejectSuggestion(s, reason: text(DemoCatalog.rejectReasons)))
                continue
            }
            add(routed, .routeSuggestion(s, unit: unit))
            let due = try working.adding(workingDays: settings.microSuggestionReplyDays, to: routed.day)
            let repliedOn = fate == .late
                ? try workday(try due.plus(1), try due.plus(12))
                : try workday(try routed.day.plus(2), due, limit: due)
            let replied = office(repliedOn, after: routed)
            add(replied, .replySuggestion(s, unit: unit, text: text(DemoCatalog.suggestionReplies)))
            guard rng.chance(0.9) else { continue }
            let rating: Rating = fate == .late
                ? (rng.chance(0.5) ? .basic : .unsatisfied)
                : (rng.chance(0.8) ? .satisfied : .basic)
            add(member(try day(try replied.day.plus(1), try replied.day.plus(10)), after: replied), .evaluateSuggestion(s, rating: rating))
        }
    }
}

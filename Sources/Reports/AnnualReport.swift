import Foundation
import PostgresClient
public import WorkflowStore
import TongxinBase

/// A county's year in figures: every year-end figure and metric of domain.md, each rate with
/// the count behind it and its 95% Wilson interval. JSON keys are snake_case and stable.
///
/// Definitions (the same for every county):
/// - the year's proposals are those of its session; `filed` counts them all;
/// - `registration_rate` = registered / (filed − withdrawn);
/// - a registered proposal is `replied` when every lead and parallel unit (not returned) replied
///   in round 1, and on time when each did so on or before the deadline in force then;
///   `on_time_rate` = on time / registered proposals replied or past their deadline (as of
///   `as_of`);
/// - `evaluated` = registered proposals with a round-1 rating (a proposal counts by its worst
///   rating); `satisfaction_rate` = (satisfied + basic) / evaluated, `strict_satisfaction_rate`
///   = satisfied / evaluated; `not_evaluated` = replied proposals closed without a rating (the
///   evaluation window ended), never counted as satisfied;
/// - `solved_rate` = category A / round-1 replies of lead and parallel units, `reply_categories`
///   every category's count and share;
/// - `rehandling_rate` = proposals unsatisfied in round 1 / evaluated;
/// - medians in days: filed → registered, assigned → replied (round 1);
/// - `overdue_now`: registered proposals with a unit past its deadline without a reply, as of
///   `as_of`, of the registered;
/// - micro-suggestions: the year's (W<year>-…), on time = replied on or before the due day, of
///   those replied or past due;
/// - `proposals_per_100_members` = filed × 100 / active members;
/// - `returned`: proposals returned to their author at least once; `extended`: registered
///   proposals with an extended deadline; `consulted`: proposals closed by a consultation;
///   `micro_suggestions_replied`: the year's micro-suggestions with a reply. (Absent from the
///   reports of deployments before 0.2.0.)
/// - trust: `ratings_on_behalf` = the year's ratings (all rounds) someone else entered for the
///   member (staff from a paper form, or an operator acting for the account), of all ratings;
///   `backdated_steps` = audited steps of the year's proposals recorded more than 5 minutes
///   after the time they take effect (补录); `on_time_backdated` = of the proposals counted on
///   time, those with a reply recorded late. (Absent before 0.3.0.)
public struct AnnualReport: Codable, Sendable, Hashable {
    public struct Category: Codable, Sendable, Hashable {
        public let count: Int
        public let share: Rate
    }

    public var county: String
    public var countyName: String
    public var year: Int
    public var session: String?
    public var asOf: String
    public var external = false

    public var filed: Int
    public var filedAtSession: Int
    public var withdrawn: Int
    public var declined: Int
    public var converted: Int
    public var merged: Int
    public var registered: Int
    public var registrationRate: Rate
    public var replied: Int
    public var repliedOnTime: Int
    public var onTimeRate: Rate
    public var evaluated: Int
    public var notEvaluated: Int
    public var satisfied: Int
    public var basic: Int
    public var unsatisfied: Int
    public var satisfactionRate: Rate
    public var strictSatisfactionRate: Rate
    public var solvedRate: Rate
    public var replyCategories: [String: Category]
    public var rehandled: Int
    public var rehandlingRate: Rate
    public var medianDaysToRegister: Double?
    public var medianDaysToReply: Double?
    public var overdueNow: Rate
    public var keyProposals: Int
    public var microSuggestions: Int
    public var microSuggestionsOnTimeRate: Rate
    public var microSuggestionsMedianDaysToReply: Double?
    public var onlineEvents: Int
    public var onlineDutyDays: Int
    public var supervisedUnits: Int
    public var supervisedUnitNames: [String]
    public var studiosOpened: Int
    public var studiosTotal: Int
    public var visitsHosted: Int
    public var visitsMade: Int
    public var hostedPeers: [String]
    public var visitedPeers: [String]
    public var members: Int
    public var proposalsPer100Members: Double?
    public var returned: Int?
    public var extended: Int?
    public var consulted: Int?
    public var microSuggestionsReplied: Int?
    public var ratingsOnBehalf: Rate?
    public var backdatedSteps: Int?
    public var onTimeBackdated: Int?

    /// Filed between sessions (闭会期间).
    public var filedBetweenSessions: Int { filed - filedAtSession }

    enum CodingKeys: String, CodingKey {
        case county, year, session, external, filed, withdrawn, declined, converted, merged, registered, replied, evaluated
        case satisfied, basic, unsatisfied, rehandled, members, returned, extended, consulted
        case microSuggestionsReplied = "micro_suggestions_replied"
        case ratingsOnBehalf = "ratings_on_behalf"
        case backdatedSteps = "backdated_steps"
        case onTimeBackdated = "on_time_backdated"
        case countyName = "county_name"
        case asOf = "as_of"
        case filedAtSession = "filed_at_session"
        case registrationRate = "registration_rate"
        case repliedOnTime = "replied_on_time"
        case onTimeRate = "on_time_rate"
        case notEvaluated = "not_evaluated"
        case satisfactionRate = "satisfaction_rate"
        case strictSatisfactionRate = "strict_satisfaction_rate"
        case solvedRate = "solved_rate"
        case replyCategories = "reply_categories"
        case rehandlingRate = "rehandling_rate"
        case medianDaysToRegister = "median_days_to_register"
        case medianDaysToReply = "median_days_to_reply"
        case overdueNow = "overdue_now"
        case keyProposals = "key_proposals"
        case microSuggestions = "micro_suggestions"
        case microSuggestionsOnTimeRate = "micro_suggestions_on_time_rate"
        case microSuggestionsMedianDaysToReply = "micro_suggestions_median_days_to_reply"
        case onlineEvents = "online_events"
        case onlineDutyDays = "online_duty_days"
        case supervisedUnits = "supervised_units"
        case supervisedUnitNames = "supervised_unit_names"
        case studiosOpened = "studios_opened"
        case studiosTotal = "studios_total"
        case visitsHosted = "visits_hosted"
        case visitsMade = "visits_made"
        case hostedPeers = "hosted_peers"
        case visitedPeers = "visited_peers"
        case proposalsPer100Members = "proposals_per_100_members"
    }

    /// The report as rows of a bilingual table: label (中文 / English), value, the count behind
    /// it and the 95% interval for rates.
    public var rows: [[String]] {
        func days(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "–" }
        func rate(_ label: String, _ r: Rate) -> [String] {
            [label, r.value.map(Rate.percent) ?? "–", "\(r.count)/\(r.of)", r.intervalDisplay]
        }
        func count(_ label: String, _ n: Int, _ note: String = "") -> [String] { [label, String(n), note, ""] }
        var rows: [[String]] = [
            count("提案 / filed", filed, "会上 at the session \(filedAtSession)"),
            count("撤案 / withdrawn", withdrawn),
            count("立案 / registered", registered, "不予立案 declined \(declined) · 转意见 converted \(converted) · 并案 merged \(merged)"),
            rate("立案率 / registration rate", registrationRate),
            count("退回修改 / returned to the author", returned ?? 0),
            count("办复 / replied", replied),
            count("按时办复 / replied on time", repliedOnTime),
            rate("按时办复率 / on-time rate", onTimeRate),
            count("其中补录答复 / of them with a reply entered late", onTimeBackdated ?? 0),
            rate("当前超期 / overdue now", overdueNow),
            count("已评价 / evaluated", evaluated, "满意 \(satisfied) · 基本满意 \(basic) · 不满意 \(unsatisfied)"),
            count("未评价 / not evaluated", notEvaluated),
            rate("满意和基本满意率 / satisfaction rate", satisfactionRate),
            rate("满意率 / strict satisfaction rate", strictSatisfactionRate),
            rate("解决采纳率 / solved rate (A)", solvedRate),
        ]
        for key in ["A", "B", "C", "D"] {
            let c = replyCategories[key] ?? Category(count: 0, share: Rate(0, of: 0))
            rows.append(rate("\(key) 类答复 / category \(key) replies", c.share))
        }
        rows += [
            count("重新办理 / re-handled", rehandled),
            rate("重新办理率 / re-handling rate", rehandlingRate),
            count("延期 / extended deadlines", extended ?? 0),
            count("面商 / closed by consultation", consulted ?? 0),
            ["立案用时中位数 / median days filed → registered", days(medianDaysToRegister), "", ""],
            ["办复用时中位数 / median days assigned → replied", days(medianDaysToReply), "", ""],
            count("重点提案 / key proposals", keyProposals),
            count("微建议 / micro-suggestions", microSuggestions),
            rate("微建议按时办复率 / micro-suggestions on time", microSuggestionsOnTimeRate),
            ["微建议办复用时中位数 / micro-suggestions median days to reply", days(microSuggestionsMedianDaysToReply), "", ""],
            count("线上履职活动 / online events", onlineEvents),
            count("委员线上值班天数 / online duty days", onlineDutyDays),
            count("民主监督小组监督单位 / supervised units", supervisedUnits, supervisedUnitNames.joined(separator: "、")),
            count("新建委员工作室 / studios opened", studiosOpened),
            count("委员工作室总数 / studios in all", studiosTotal),
            count("接待考察 / visits hosted", visitsHosted, hostedPeers.joined(separator: "、")),
            count("外出考察 / visits made", visitsMade, visitedPeers.joined(separator: "、")),
            count("委员 / members", members),
            ["每百名委员提案数 / proposals per 100 members", proposalsPer100Members.map { String(format: "%.1f", $0) } ?? "–", "", ""],
            rate("代录评价占比 / ratings entered on behalf", ratingsOnBehalf ?? Rate(0, of: 0)),
            count("补录步骤 / steps entered late (back-dated)", backdatedSteps ?? 0),
        ]
        return rows
    }
}

/// The timing figures from the county's tables, beyond `YearFigures`' counts.
private struct ExtraFigures: Codable, Sendable {
    var replied: Int
    var onTime: Int
    var onTimeOf: Int
    var overdue: Int
    var notEvaluated: Int
    var categories: [String: Int]
    var replies: Int
    var daysToRegister: Double?
    var daysToReply: Double?
    var suggestionsOnTime: Int
    var suggestionsOnTimeOf: Int
    var suggestionDays: Double?
    var ratings: Int
    var ratingsOnBehalf: Int
    var backdated: Int
    var onTimeBackdated: Int
}

extension AnnualReport {
    /// Computes the report for `year` from the county's tables, as of the store's day.
    public static func compute(_ store: WorkflowStore, year: Int) async throws -> AnnualReport {
        let figures = try await YearFigures.count(store, year: year)
        let summary = figures.proposals
        let other = figures.other
        let today = store.today
        let zone = LocalTime.zoneName
        let extra = try await store.reading { tx, _ in
            try await tx.query("""
                WITH p AS (
                    SELECT p.* FROM proposal p JOIN session s ON s.id = p.session_id WHERE s.year = \(year)
                ),
                lead AS (
                    SELECT a.*, r.replied_at AS r_at, r.due_on AS r_due, r.category, r.recorded_at AS r_recorded
                    FROM assignment a JOIN p ON p.id = a.proposal_id
                    LEFT JOIN reply r ON r.assignment_id = a.id AND r.round = 1
                    WHERE a.role <> 'co' AND a.returned_at IS NULL AND p.registered_at IS NOT NULL
                ),
                per AS (
                    SELECT proposal_id,
                           bool_and(r_at IS NOT NULL) AS replied,
                           bool_and(r_at IS NOT NULL AND (r_at AT TIME ZONE \(zone))::date <= r_due) AS on_time,
                           bool_or(r_at IS NULL AND due_on < \(today)) AS past_due,
                           bool_or(replied_at IS NULL AND due_on < \(today)) AS overdue,
                           bool_or(r_recorded > r_at + interval '300 seconds') AS late_entry
                    FROM lead GROUP BY proposal_id
                ),
                s AS (SELECT * FROM micro_suggestion WHERE number LIKE 'W' || \(year) || '-%')
                SELECT jsonb_build_object(
                    'replied', (SELECT count(*) FROM per WHERE replied),
                    'onTime', (SELECT count(*) FROM per WHERE on_time),
                    'onTimeOf', (SELECT count(*) FROM per WHERE replied OR past_due),
                    'overdue', (SELECT count(*) FROM per JOIN p ON p.id = per.proposal_id
                                WHERE overdue AND p.status IN ('assigned', 'rehandling')),
                    'notEvaluated', (SELECT count(*) FROM p JOIN per ON per.proposal_id = p.id
                                     WHERE per.replied AND p.status = 'closed'
                                       AND NOT EXISTS (SELECT 1 FROM evaluation e WHERE e.proposal_id = p.id AND e.round = 1)),
                    'categories', (SELECT coalesce(jsonb_object_agg(category, n), '{}'::jsonb)
                                   FROM (SELECT category, count(*) AS n FROM lead WHERE category IS NOT NULL GROUP BY category) c),
                    'replies', (SELECT count(*) FROM lead WHERE r_at IS NOT NULL),
                    'daysToRegister', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
                                           (registered_at AT TIME ZONE \(zone))::date - (filed_at AT TIME ZONE \(zone))::date)
                                       FROM p WHERE registered_at IS NOT NULL),
                    'daysToReply', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
                                        (r_at AT TIME ZONE \(zone))::date - (assigned_at AT TIME ZONE \(zone))::date)
                                    FROM lead WHERE r_at IS NOT NULL),
                    'suggestionsOnTime', (SELECT count(*) FROM s WHERE replied_at IS NOT NULL
                                          AND (replied_at AT TIME ZONE \(zone))::date <= due_on),
                    'suggestionsOnTimeOf', (SELECT count(*) FROM s WHERE replied_at IS NOT NULL OR due_on < \(today)),
                    'suggestionDays', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
                                           (replied_at AT TIME ZONE \(zone))::date - (filed_at AT TIME ZONE \(zone))::date)
                                       FROM s WHERE replied_at IS NOT NULL),
                    'ratings', (SELECT count(*) FROM evaluation e JOIN p ON p.id = e.proposal_id),
                    'ratingsOnBehalf', (SELECT count(*) FROM evaluation e JOIN p ON p.id = e.proposal_id WHERE e.entered_by IS NOT NULL),
                    'backdated', (SELECT count(*) FROM audit_log a WHERE a.entity = 'proposal'
                                    AND a.entity_id IN (SELECT number FROM p) AND a.recorded_at > a.at + interval '300 seconds'),
                    'onTimeBackdated', (SELECT count(*) FROM per WHERE on_time AND late_entry))
                """).single().decode(JSONB<ExtraFigures>.self).value
        }
        var categories: [String: Category] = [:]
        for key in ["A", "B", "C", "D"] {
            let n = extra.categories[key] ?? 0
            categories[key] = Category(count: n, share: Rate(n, of: extra.replies))
        }
        let evaluated = summary.evaluated
        return AnnualReport(
            county: store.county.value, countyName: figures.countyName, year: year, session: figures.session,
            asOf: today.description,
            filed: summary.filed, filedAtSession: summary.atSession, withdrawn: summary.withdrawn, declined: summary.declined,
            converted: summary.converted, merged: summary.merged, registered: summary.registered,
            registrationRate: Rate(summary.registered, of: summary.filed - summary.withdrawn),
            replied: extra.replied, repliedOnTime: extra.onTime, onTimeRate: Rate(extra.onTime, of: extra.onTimeOf),
            evaluated: evaluated, notEvaluated: extra.notEvaluated, satisfied: summary.satisfied, basic: summary.basic,
            unsatisfied: summary.unsatisfied,
            satisfactionRate: Rate(summary.satisfied + summary.basic, of: evaluated),
            strictSatisfactionRate: Rate(summary.satisfied, of: evaluated),
            solvedRate: Rate(extra.categories["A"] ?? 0, of: extra.replies), replyCategories: categories,
            rehandled: summary.rehandled, rehandlingRate: Rate(summary.unsatisfied, of: evaluated),
            medianDaysToRegister: extra.daysToRegister, medianDaysToReply: extra.daysToReply,
            overdueNow: Rate(extra.overdue, of: summary.registered), keyProposals: summary.key,
            microSuggestions: other.suggestions,
            microSuggestionsOnTimeRate: Rate(extra.suggestionsOnTime, of: extra.suggestionsOnTimeOf),
            microSuggestionsMedianDaysToReply: extra.suggestionDays,
            onlineEvents: other.onlineEvents, onlineDutyDays: other.dutyDays, supervisedUnits: other.supervisedUnits.count,
            supervisedUnitNames: other.supervisedUnits, studiosOpened: other.studiosOpened, studiosTotal: other.studiosTotal,
            visitsHosted: other.hosted.count, visitsMade: other.visited.count, hostedPeers: other.hosted,
            visitedPeers: other.visited, members: other.members,
            proposalsPer100Members: other.members > 0 ? Double(summary.filed) * 100 / Double(other.members) : nil,
            returned: summary.returned, extended: summary.extended, consulted: summary.consulted,
            microSuggestionsReplied: other.suggestionsReplied,
            ratingsOnBehalf: Rate(extra.ratingsOnBehalf, of: extra.ratings), backdatedSteps: extra.backdated,
            onTimeBackdated: extra.onTimeBackdated)
    }
}

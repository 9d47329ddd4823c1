import Counties
import PostgresClient
import Workflow
import TongxinBase

/// A county's year in figures, computed from its tables (the seed's year-end figures and a few
/// more). Proposals are those of the year's session; micro-suggestions those numbered in the
/// year; activities those dated in it.
///
/// Definitions:
/// - registered: proposals the office registered (resubmitted ones included);
/// - replied: registered proposals whose answering units (lead or parallel, not returned) all
///   replied in the first round; on time: every one of those replies on or before its
///   (extended) deadline, as the reply's audit entry recorded it (re-handling moves the stored
///   deadline, the audit entry keeps the first round's);
/// - evaluated / satisfied / basic / unsatisfied: registered proposals rated in the first round,
///   by their worst rating (an unsatisfied one is re-handled);
/// - re-handled: proposals in a second round; consulted: closed by a consultation;
/// - micro-suggestions on time: replied on or before their working-day deadline.
public struct YearSummary: Codable, Sendable, Hashable {
    public var county: String
    public var countyName: String
    public var year: Int
    public var session: String?
    public var members: Int

    public var filed: Int
    public var filedAtSession: Int
    public var filedBetweenSessions: Int
    public var registered: Int
    public var declined: Int
    public var converted: Int
    public var merged: Int
    public var withdrawn: Int
    /// Returned to the author at least once.
    public var returned: Int
    public var replied: Int
    public var repliedOnTime: Int
    /// With an extended deadline.
    public var extended: Int
    public var evaluated: Int
    public var satisfied: Int
    public var basic: Int
    public var unsatisfied: Int
    public var rehandled: Int
    public var consulted: Int
    public var keyProposals: Int

    public var microSuggestions: Int
    public var microSuggestionsReplied: Int
    public var microSuggestionsRepliedOnTime: Int

    public var onlineEvents: Int
    public var dutyDays: Int
    public var supervisedUnits: Int
    public var supervisedUnitNames: [String]
    public var studiosOpened: Int
    public var studiosTotal: Int
    public var visitsHosted: Int
    public var visitsMade: Int
    public var hostedPeers: [String]
    public var visitedPeers: [String]

    enum CodingKeys: String, CodingKey {
        case county, year, session, members, filed, registered, declined, converted, merged, withdrawn, returned, replied
        case extended, evaluated, satisfied, basic, unsatisfied, rehandled, consulted
        case countyName = "county_name"
        case filedAtSession = "filed_at_session"
        case filedBetweenSessions = "filed_between_sessions"
        case repliedOnTime = "replied_on_time"
        case keyProposals = "key_proposals"
        case microSuggestions = "micro_suggestions"
        case microSuggestionsReplied = "micro_suggestions_replied"
        case microSuggestionsRepliedOnTime = "micro_suggestions_replied_on_time"
        case onlineEvents = "online_events"
        case dutyDays = "duty_days"
        case supervisedUnits = "supervised_units"
        case supervisedUnitNames = "supervised_unit_names"
        case studiosOpened = "studios_opened"
        case studiosTotal = "studios_total"
        case visitsHosted = "visits_hosted"
        case visitsMade = "visits_made"
        case hostedPeers = "hosted_peers"
        case visitedPeers = "visited_peers"
    }

    /// A short bilingual summary, one figure group a line.
    public var lines: [String] {
        func percent(_ part: Int, _ whole: Int) -> String {
            guard whole > 0 else { return "–" }
            let tenths = (part * 1000 + whole / 2) / whole
            return "\(tenths / 10).\(tenths % 10)%"
        }
        let names = { (list: [String]) in list.isEmpty ? "" : ": " + list.joined(separator: "、") }
        return [
            "\(countyName) (\(county)) \(year)\(session.map { " \($0)" } ?? "") · 委员 members \(members)",
            "提案 filed \(filed) (会上 \(filedAtSession), 闭会期间 \(filedBetweenSessions))",
            "立案 registered \(registered) · 不予立案 declined \(declined) · 转意见 converted \(converted) · 并案 merged \(merged)"
                + " · 撤案 withdrawn \(withdrawn) · 退回修改 returned \(returned)",
            "办复 replied \(replied) · 按时 on time \(repliedOnTime) (\(percent(repliedOnTime, registered))) · 延期 extended \(extended)"
                + " · 重点提案 key \(keyProposals)",
            "评价 evaluated \(evaluated) · 满意 satisfied \(satisfied) · 基本满意 basic \(basic) · 不满意 unsatisfied \(unsatisfied)"
                + " (满意和基本满意 \(percent(satisfied + basic, evaluated)))",
            "重新办理 re-handled \(rehandled) · 面商 consulted \(consulted)",
            "微建议 micro-suggestions \(microSuggestions) · 办复 replied \(microSuggestionsReplied) · 按时 on time \(microSuggestionsRepliedOnTime)",
            "线上履职 online events \(onlineEvents) · 委员值班 duty days \(dutyDays)",
            "民主监督 supervised units \(supervisedUnits)\(names(supervisedUnitNames))",
            "委员工作室 studios new \(studiosOpened) / total \(studiosTotal)",
            "考察交流 hosted \(visitsHosted)\(names(hostedPeers)) · visited \(visitsMade)\(names(visitedPeers))",
        ]
    }
}

/// The proposal figures, as one jsonb object from the database.
private struct ProposalFigures: Codable, Sendable {
    var filed: Int
    var atSession: Int
    var registered: Int
    var declined: Int
    var converted: Int
    var merged: Int
    var withdrawn: Int
    var returned: Int
    var replied: Int
    var repliedOnTime: Int
    var extended: Int
    var evaluated: Int
    var satisfied: Int
    var basic: Int
    var unsatisfied: Int
    var rehandled: Int
    var consulted: Int
    var key: Int
}

private struct OtherFigures: Codable, Sendable {
    var members: Int
    var suggestions: Int
    var suggestionsReplied: Int
    var suggestionsOnTime: Int
    var onlineEvents: Int
    var dutyDays: Int
    var studiosOpened: Int
    var studiosTotal: Int
    var supervisedUnits: [String]
    var hosted: [String]
    var visited: [String]
}

extension WorkflowStore {
    /// The year's figures, from the county's tables (see `YearSummary` for the definitions).
    public func summary(year: Int) async throws -> YearSummary {
        guard (1949...9999).contains(year) else { throw WorkflowError("--year: \(year) is not a year from 1949 to 9999") }
        let zone = LocalTime.zoneName
        return try await read { context in
            let tx = context.tx
            let countyName = try await tx.query("""
                SELECT name FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(county.value)
                """).first?.decode(String.self) ?? county.value
            let session: String? = try await tx.query("SELECT name FROM session WHERE year = \(year)").first?.decode(String.self)
            let proposals = try await tx.query("""
                WITH p AS (
                    SELECT p.* FROM proposal p JOIN session s ON s.id = p.session_id WHERE s.year = \(year)
                ),
                answering AS (
                    SELECT a.proposal_id, count(*) AS units,
                           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM reply r WHERE r.assignment_id = a.id AND r.round = 1)) AS replied
                    FROM assignment a WHERE a.role <> 'co' AND a.returned_at IS NULL GROUP BY a.proposal_id
                ),
                on_time AS (
                    SELECT entity_id AS number, bool_and(detail->>'on_time' = 'true') AS on_time FROM audit_log
                    WHERE entity = 'proposal' AND action = 'reply' AND detail->>'round' = '1' GROUP BY entity_id
                ),
                steps AS (
                    SELECT entity_id AS number, bool_or(action = 'return') AS returned, bool_or(action = 'extend') AS extended
                    FROM audit_log WHERE entity = 'proposal' AND action IN ('return', 'extend') GROUP BY entity_id
                ),
                rated AS (
                    SELECT proposal_id, max(CASE rating WHEN 'unsatisfied' THEN 3 WHEN 'basic' THEN 2 ELSE 1 END) AS worst
                    FROM evaluation WHERE round = 1 GROUP BY proposal_id
                ),
                r AS (
                    SELECT p.*, p.registered_at IS NOT NULL AS is_registered,
                           coalesce(answering.units > 0 AND answering.replied = answering.units, false) AS is_replied,
                           coalesce(on_time.on_time, false) AS is_on_time,
                           coalesce(steps.returned, false) AS was_returned, coalesce(steps.extended, false) AS was_extended,
                           rated.worst
                    FROM p LEFT JOIN answering ON answering.proposal_id = p.id LEFT JOIN on_time ON on_time.number = p.number
                    LEFT JOIN steps ON steps.number = p.number LEFT JOIN rated ON rated.proposal_id = p.id
                )
                SELECT jsonb_build_object(
                    'filed', count(*),
                    'atSession', count(*) FILTER (WHERE filed_during = 'session'),
                    'registered', count(*) FILTER (WHERE is_registered),
                    'declined', count(*) FILTER (WHERE status = 'declined'),
                    'converted', count(*) FILTER (WHERE status = 'converted'),
                    'merged', count(*) FILTER (WHERE status = 'merged'),
                    'withdrawn', count(*) FILTER (WHERE status = 'withdrawn'),
                    'returned', count(*) FILTER (WHERE was_returned),
                    'replied', count(*) FILTER (WHERE is_registered AND is_replied),
                    'repliedOnTime', count(*) FILTER (WHERE is_registered AND is_replied AND is_on_time),
                    'extended', count(*) FILTER (WHERE is_registered AND was_extended),
                    'evaluated', count(*) FILTER (WHERE is_registered AND worst IS NOT NULL),
                    'satisfied', count(*) FILTER (WHERE is_registered AND worst = 1),
                    'basic', count(*) FILTER (WHERE is_registered AND worst = 2),
                    'unsatisfied', count(*) FILTER (WHERE is_registered AND worst = 3),
                    'rehandled', count(*) FILTER (WHERE is_registered AND round = 2),
                    'consulted', count(*) FILTER (WHERE EXISTS (SELECT 1 FROM consultation c WHERE c.proposal_id = r.id)),
                    'key', count(*) FILTER (WHERE is_key))
                FROM r
                """).single().decode(JSONB<ProposalFigures>.self).value
            let first = try CalendarDate(year: year, month: 1, day: 1)
            let last = try CalendarDate(year: year, month: 12, day: 31)
            let other = try await tx.query("""
                WITH a AS (SELECT a.*, u.name AS unit FROM activity a LEFT JOIN unit u ON u.id = a.unit_id
                           WHERE a.happened_on BETWEEN \(first) AND \(last)),
                     s AS (SELECT * FROM micro_suggestion WHERE number LIKE 'W' || \(year) || '-%')
                SELECT jsonb_build_object(
                    'members', (SELECT count(*) FROM member WHERE active),
                    'suggestions', (SELECT count(*) FROM s),
                    'suggestionsReplied', (SELECT count(*) FROM s WHERE replied_at IS NOT NULL),
                    'suggestionsOnTime', (SELECT count(*) FROM s WHERE replied_at IS NOT NULL
                                          AND (replied_at AT TIME ZONE \(zone))::date <= due_on),
                    'onlineEvents', (SELECT count(*) FROM a WHERE kind = 'online_event'),
                    'dutyDays', (SELECT coalesce(sum(days), 0) FROM a WHERE kind = 'duty_day'),
                    'studiosOpened', (SELECT count(*) FROM a WHERE kind = 'studio_opened'),
                    'studiosTotal', (SELECT count(*) FROM activity WHERE kind = 'studio_opened' AND happened_on <= \(last)),
                    'supervisedUnits', (SELECT coalesce(jsonb_agg(unit ORDER BY since, unit), '[]'::jsonb) FROM (
                        SELECT unit, min(happened_on) AS since FROM a WHERE kind = 'supervision_group' GROUP BY unit) g),
                    'hosted', (SELECT coalesce(jsonb_agg(peer_committee ORDER BY happened_on, id), '[]'::jsonb)
                               FROM a WHERE kind = 'visit_hosted'),
                    'visited', (SELECT coalesce(jsonb_agg(peer_committee ORDER BY happened_on, id), '[]'::jsonb)
                                FROM a WHERE kind = 'visit_made'))
                """).single().decode(JSONB<OtherFigures>.self).value
            return YearSummary(
                county: county.value, countyName: countyName, year: year, session: session, members: other.members,
                filed: proposals.filed, filedAtSession: proposals.atSession, filedBetweenSessions: proposals.filed - proposals.atSession,
                registered: proposals.registered, declined: proposals.declined, converted: proposals.converted,
                merged: proposals.merged, withdrawn: proposals.withdrawn, returned: proposals.returned,
                replied: proposals.replied, repliedOnTime: proposals.repliedOnTime, extended: proposals.extended,
                evaluated: proposals.evaluated, satisfied: proposals.satisfied, basic: proposals.basic,
                unsatisfied: proposals.unsatisfied, rehandled: proposals.rehandled, consulted: proposals.consulted,
                keyProposals: proposals.key, microSuggestions: other.suggestions,
                microSuggestionsReplied: other.suggestionsReplied, microSuggestionsRepliedOnTime: other.suggestionsOnTime,
                onlineEvents: other.onlineEvents, dutyDays: other.dutyDays, supervisedUnits: other.supervisedUnits.count,
                supervisedUnitNames: other.supervisedUnits, studiosOpened: other.studiosOpened, studiosTotal: other.studiosTotal,
                visitsHosted: other.hosted.count, visitsMade: other.visited.count, hostedPeers: other.hosted,
                visitedPeers: other.visited)
        }
    }
}

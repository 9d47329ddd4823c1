import Counties
import PostgresClient
import Workflow
import WorkflowStore
import TongxinBase

/// The counts behind a county's year, from its tables: the proposals of the year's session by
/// what became of them, the micro-suggestions numbered in the year, the activities dated in it.
/// `AnnualReport` is built from these and its own timing figures (replies, on time, medians):
/// one definition of each figure, for the report, the rollups, the comparison and the demo's
/// summary alike.
struct YearFigures: Sendable {
    var countyName: String
    var session: String?
    var proposals: ProposalFigures
    var other: OtherFigures

    /// The year's counts (see `AnnualReport` for the definitions).
    static func count(_ store: WorkflowStore, year: Int) async throws -> YearFigures {
        guard (1949...9999).contains(year) else { throw WorkflowError("--year: \(year) is not a year from 1949 to 9999") }
        return try await store.reading { tx, _ in
            let countyName = try await tx.query("""
                SELECT name FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(store.county.value)
                """).first?.decode(String.self) ?? store.county.value
            let session: String? = try await tx.query("SELECT name FROM session WHERE year = \(year)").first?.decode(String.self)
            let proposals = try await tx.query("""
                WITH p AS (
                    SELECT p.* FROM proposal p JOIN session s ON s.id = p.session_id WHERE s.year = \(year)
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
                           coalesce(steps.returned, false) AS was_returned, coalesce(steps.extended, false) AS was_extended,
                           rated.worst
                    FROM p LEFT JOIN steps ON steps.number = p.number LEFT JOIN rated ON rated.proposal_id = p.id
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
            return YearFigures(countyName: countyName, session: session, proposals: proposals, other: other)
        }
    }
}

/// The proposal figures, as one jsonb object from the database.
struct ProposalFigures: Codable, Sendable {
    var filed: Int
    var atSession: Int
    var registered: Int
    var declined: Int
    var converted: Int
    var merged: Int
    var withdrawn: Int
    var returned: Int
    var extended: Int
    var evaluated: Int
    var satisfied: Int
    var basic: Int
    var unsatisfied: Int
    var rehandled: Int
    var consulted: Int
    var key: Int
}

struct OtherFigures: Codable, Sendable {
    var members: Int
    var suggestions: Int
    var suggestionsReplied: Int
    var onlineEvents: Int
    var dutyDays: Int
    var studiosOpened: Int
    var studiosTotal: Int
    var supervisedUnits: [String]
    var hosted: [String]
    var visited: [String]
}


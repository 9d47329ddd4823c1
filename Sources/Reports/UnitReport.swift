import Foundation
import PostgresClient
public import WorkflowStore
import TongxinBase

/// One handling unit's year: its lead and parallel assignments of the year's registered
/// proposals (returned ones excluded), with the same definitions as the annual report.
public struct UnitRecord: Codable, Sendable, Hashable {
    public var unit: String
    /// 1 for the best; nil below the minimum count (too few to rank fairly).
    public var rank: Int?
    public var assigned: Int
    public var replied: Int
    public var onTimeRate: Rate
    public var overdueNow: Int
    public var medianDaysToReply: Double?
    public var replyCategories: [String: Int]
    public var satisfactionRate: Rate
    public var rehandled: Int

    public init(
        unit: String, rank: Int?, assigned: Int, replied: Int, onTimeRate: Rate, overdueNow: Int, medianDaysToReply: Double?,
        replyCategories: [String: Int], satisfactionRate: Rate, rehandled: Int
    ) {
        self.unit = unit
        self.rank = rank
        self.assigned = assigned
        self.replied = replied
        self.onTimeRate = onTimeRate
        self.overdueNow = overdueNow
        self.medianDaysToReply = medianDaysToReply
        self.replyCategories = replyCategories
        self.satisfactionRate = satisfactionRate
        self.rehandled = rehandled
    }

    enum CodingKeys: String, CodingKey {
        case unit, rank, assigned, replied, rehandled
        case onTimeRate = "on_time_rate"
        case overdueNow = "overdue_now"
        case medianDaysToReply = "median_days_to_reply"
        case replyCategories = "reply_categories"
        case satisfactionRate = "satisfaction_rate"
    }
}

/// The unit league table: units with at least `minimumCount` assignments are ranked by the
/// lower end of their on-time rate's 95% Wilson interval (so that 3 of 3 does not outrank 48 of
/// 50), then by their satisfaction rate's; the others are listed unranked.
public struct UnitReport: Codable, Sendable, Hashable {
    public var county: String
    public var year: Int
    public var asOf: String
    public var minimumCount: Int
    public var units: [UnitRecord]

    enum CodingKeys: String, CodingKey {
        case county, year, units
        case asOf = "as_of"
        case minimumCount = "minimum_count"
    }

    /// Ranks `units` as described (pure).
    public static func ranked(_ units: [UnitRecord], minimumCount: Int) -> [UnitRecord] {
        func key(_ u: UnitRecord) -> (Double, Double) { (u.onTimeRate.low ?? 0, u.satisfactionRate.low ?? 0) }
        let eligible = units.filter { $0.assigned >= minimumCount }.sorted { a, b in
            let (ka, kb) = (key(a), key(b))
            if ka.0 != kb.0 { return ka.0 > kb.0 }
            if ka.1 != kb.1 { return ka.1 > kb.1 }
            return a.unit < b.unit
        }
        var out: [UnitRecord] = []
        for (i, var unit) in eligible.enumerated() {
            unit.rank = i + 1
            out.append(unit)
        }
        for var unit in units.filter({ $0.assigned < minimumCount }).sorted(by: { $0.unit < $1.unit }) {
            unit.rank = nil
            out.append(unit)
        }
        return out
    }

    public static func compute(_ store: WorkflowStore, year: Int) async throws -> UnitReport {
        let today = store.today
        let zone = LocalTime.zoneName
        let (minimum, rows) = try await store.reading { tx, settings in
            let rows = try await tx.query("""
                WITH p AS (
                    SELECT p.* FROM proposal p JOIN session s ON s.id = p.session_id
                    WHERE s.year = \(year) AND p.registered_at IS NOT NULL
                ),
                a AS (
                    SELECT a.*, u.name AS unit, r.replied_at AS r_at, r.due_on AS r_due, r.category
                    FROM assignment a JOIN p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
                    LEFT JOIN reply r ON r.assignment_id = a.id AND r.round = 1
                    WHERE a.role <> 'co' AND a.returned_at IS NULL
                ),
                w AS (
                    SELECT proposal_id, max(CASE rating WHEN 'unsatisfied' THEN 3 WHEN 'basic' THEN 2 ELSE 1 END) AS worst
                    FROM evaluation WHERE round = 1 GROUP BY proposal_id
                )
                SELECT a.unit, count(*), count(a.r_at),
                       count(*) FILTER (WHERE a.r_at IS NOT NULL AND (a.r_at AT TIME ZONE \(zone))::date <= a.r_due),
                       count(*) FILTER (WHERE a.r_at IS NOT NULL OR a.due_on < \(today)),
                       count(*) FILTER (WHERE a.replied_at IS NULL AND a.due_on < \(today) AND p.status IN ('assigned', 'rehandling')),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY
                           (a.r_at AT TIME ZONE \(zone))::date - (a.assigned_at AT TIME ZONE \(zone))::date),
                       count(*) FILTER (WHERE a.category = 'A'), count(*) FILTER (WHERE a.category = 'B'),
                       count(*) FILTER (WHERE a.category = 'C'), count(*) FILTER (WHERE a.category = 'D'),
                       count(w.worst), count(*) FILTER (WHERE w.worst IN (1, 2)),
                       count(*) FILTER (WHERE p.round = 2)
                FROM a JOIN p ON p.id = a.proposal_id LEFT JOIN w ON w.proposal_id = a.proposal_id
                GROUP BY a.unit
                """)
            return (settings.leagueMinimumCount, try rows.map { row in
                let (unit, assigned, replied, onTime, onTimeOf, overdue, days, a, b, c, d, evaluated, satisfied, rehandled) =
                    try row.decode((String, Int, Int, Int, Int, Int, Double?, Int, Int, Int, Int, Int, Int, Int).self)
                return UnitRecord(
                    unit: unit, rank: nil, assigned: assigned, replied: replied, onTimeRate: Rate(onTime, of: onTimeOf),
                    overdueNow: overdue, medianDaysToReply: days, replyCategories: ["A": a, "B": b, "C": c, "D": d],
                    satisfactionRate: Rate(satisfied, of: evaluated), rehandled: rehandled)
            })
        }
        return UnitReport(
            county: store.county.value, year: year, asOf: today.description, minimumCount: minimum,
            units: ranked(rows, minimumCount: minimum))
    }
}

public import Counties
import Foundation
public import PostgresClient
import WorkflowStore
import TongxinBase

/// The metrics counties are compared on: each a rate (with its count) or a number, and which
/// way is better.
public enum ComparedMetric: String, CaseIterable, Sendable, Codable {
    case filed
    case registrationRate = "registration_rate"
    case onTimeRate = "on_time_rate"
    case satisfactionRate = "satisfaction_rate"
    case strictSatisfactionRate = "strict_satisfaction_rate"
    case solvedRate = "solved_rate"
    case rehandlingRate = "rehandling_rate"
    case overdueNow = "overdue_now"
    case medianDaysToReply = "median_days_to_reply"
    case microSuggestionsOnTimeRate = "micro_suggestions_on_time_rate"
    case proposalsPer100Members = "proposals_per_100_members"
    /// Trust: the share of ratings someone else entered for the member (代录).
    case ratingsOnBehalf = "ratings_on_behalf"
    /// Trust: steps recorded later than they take effect (补录).
    case backdatedSteps = "backdated_steps"

    /// Lower is better (re-handling, overdue, days, entered for others or late).
    public var lowerIsBetter: Bool { [.rehandlingRate, .overdueNow, .medianDaysToReply, .ratingsOnBehalf, .backdatedSteps].contains(self) }

    public var isRate: Bool { ![.filed, .medianDaysToReply, .proposalsPer100Members, .backdatedSteps].contains(self) }

    /// 中文 / English.
    public var label: String {
        switch self {
        case .filed: "提案 / filed"
        case .registrationRate: "立案率 / registration"
        case .onTimeRate: "按时办复率 / on time"
        case .satisfactionRate: "满意和基本满意率 / satisfaction"
        case .strictSatisfactionRate: "满意率 / strict satisfaction"
        case .solvedRate: "解决采纳率 / solved (A)"
        case .rehandlingRate: "重新办理率 / re-handling"
        case .overdueNow: "当前超期 / overdue now"
        case .medianDaysToReply: "办复用时中位数 / median days to reply"
        case .microSuggestionsOnTimeRate: "微建议按时率 / micro-suggestions on time"
        case .proposalsPer100Members: "每百名委员提案 / per 100 members"
        case .ratingsOnBehalf: "代录评价占比 / ratings on behalf"
        case .backdatedSteps: "补录步骤 / back-dated steps"
        }
    }

    public static func parse(_ text: String) throws -> ComparedMetric {
        guard let metric = ComparedMetric(rawValue: text.replacingOccurrences(of: "-", with: "_")) else {
            throw CountyError("--sort: \"\(text.prefix(40))\" is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return metric
    }
}

/// One county's row in the comparison: its figures from the rollup (or computed live, or
/// imported from another deployment), and its rank on each metric.
public struct ComparisonRow: Codable, Sendable, Hashable {
    public var county: String
    public var countyName: String
    public var external: Bool
    public var computedAt: String
    public var rates: [String: Rate]
    public var numbers: [String: Double?]
    public var ranks: [String: Int?]

    public init(
        county: String, countyName: String, external: Bool, computedAt: String, rates: [String: Rate], numbers: [String: Double?],
        ranks: [String: Int?]
    ) {
        self.county = county
        self.countyName = countyName
        self.external = external
        self.computedAt = computedAt
        self.rates = rates
        self.numbers = numbers
        self.ranks = ranks
    }

    enum CodingKeys: String, CodingKey {
        case county, external, rates, numbers, ranks
        case countyName = "county_name"
        case computedAt = "computed_at"
    }

    /// The metric's value for sorting and ranking (nil: none).
    public func value(_ metric: ComparedMetric) -> Double? {
        if metric.isRate { return rates[metric.rawValue]?.value }
        return numbers[metric.rawValue] ?? nil
    }

    /// The count a rate rests on (for the minimum count); numbers rest on the proposals filed.
    public func basis(_ metric: ComparedMetric) -> Int {
        if metric.isRate { return rates[metric.rawValue]?.of ?? 0 }
        return Int(numbers[ComparedMetric.filed.rawValue].flatMap { $0 } ?? 0)
    }
}

public struct Comparison: Codable, Sendable, Hashable {
    public var year: Int
    public var sortedBy: String
    public var minimumCount: Int
    public var rows: [ComparisonRow]

    enum CodingKeys: String, CodingKey {
        case year, rows
        case sortedBy = "sorted_by"
        case minimumCount = "minimum_count"
    }

    /// Ranks every metric (1 = best; counties below the minimum count on a metric get none)
    /// and sorts the rows by `sort` (best first, unranked last, then by code). Pure.
    public static func ranked(_ rows: [ComparisonRow], year: Int, sort: ComparedMetric, minimumCount: Int) -> Comparison {
        var rows = rows
        let counties = rows.map(\.county)
        for metric in ComparedMetric.allCases {
            // Each row's value and basis read once (the comparisons of a sort over 3,000
            // counties would otherwise look them up in the rows' dictionaries each time).
            let values = rows.map { $0.value(metric) }
            let eligible = rows.indices.filter { values[$0] != nil && rows[$0].basis(metric) >= minimumCount }
            let lowerIsBetter = metric.lowerIsBetter
            let ordered = eligible.sorted { a, b in
                let (va, vb) = (values[a] ?? 0, values[b] ?? 0)
                if va != vb { return lowerIsBetter ? va < vb : va > vb }
                return counties[a] < counties[b]
            }
            // Equal values share a rank (1, 2, 2, 4).
            var ranks = [Int?](repeating: nil, count: rows.count)
            var previous: (value: Double, rank: Int)?
            for (position, index) in ordered.enumerated() {
                let value = values[index] ?? 0
                let rank = previous.map { $0.value == value ? $0.rank : position + 1 } ?? 1
                ranks[index] = rank
                previous = (value, rank)
            }
            for index in rows.indices { rows[index].ranks[metric.rawValue] = .some(ranks[index]) }
        }
        let sortRanks = rows.map { $0.ranks[sort.rawValue] ?? nil }
        let order = rows.indices.sorted { a, b in
            switch (sortRanks[a], sortRanks[b]) {
            case let (x?, y?): return x != y ? x < y : counties[a] < counties[b]
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return counties[a] < counties[b]
            }
        }
        rows = order.map { rows[$0] }
        return Comparison(year: year, sortedBy: sort.rawValue, minimumCount: minimumCount, rows: rows)
    }

    /// A row from an annual report's figures.
    public static func row(_ report: AnnualReport, computedAt: String) -> ComparisonRow {
        ComparisonRow(
            county: report.county, countyName: report.countyName, external: report.external, computedAt: computedAt,
            rates: [
                ComparedMetric.registrationRate.rawValue: report.registrationRate,
                ComparedMetric.onTimeRate.rawValue: report.onTimeRate,
                ComparedMetric.satisfactionRate.rawValue: report.satisfactionRate,
                ComparedMetric.strictSatisfactionRate.rawValue: report.strictSatisfactionRate,
                ComparedMetric.solvedRate.rawValue: report.solvedRate,
                ComparedMetric.rehandlingRate.rawValue: report.rehandlingRate,
                ComparedMetric.overdueNow.rawValue: report.overdueNow,
                ComparedMetric.microSuggestionsOnTimeRate.rawValue: report.microSuggestionsOnTimeRate,
                ComparedMetric.ratingsOnBehalf.rawValue: report.ratingsOnBehalf ?? Rate(0, of: 0),
            ],
            numbers: [
                ComparedMetric.filed.rawValue: Double(report.filed),
                ComparedMetric.medianDaysToReply.rawValue: report.medianDaysToReply,
                ComparedMetric.proposalsPer100Members.rawValue: report.proposalsPer100Members,
                ComparedMetric.backdatedSteps.rawValue: report.backdatedSteps.map(Double.init),
            ],
            ranks: [:])
    }

    /// The rates the comparison reads from a rollup, in the order of `fromRollups`' columns.
    static let rolledRates: [ComparedMetric] = [
        .registrationRate, .onTimeRate, .satisfactionRate, .strictSatisfactionRate, .solvedRate, .rehandlingRate, .overdueNow,
        .microSuggestionsOnTimeRate, .ratingsOnBehalf,
    ]

    /// Reads the rollups of `year` (the worker keeps them fresh), for `counties` or all: only
    /// the compared figures, taken out of the stored report by the server.
    public static func fromRollups(year: Int, counties: [CountyCode]?, on connection: PostgresConnection) async throws -> [ComparisonRow] {
        let control = CountyRegistry.controlSchema
        let codes = counties?.map(\.value) ?? []
        let rateColumns = rolledRates.map { m in
            "coalesce((f->'\(m.rawValue)'->>0)::int, 0), coalesce((f->'\(m.rawValue)'->>1)::int, 0)"
        }.joined(separator: ", ")
        let rows = try await connection.query("""
            SELECT county, coalesce(f->>'county_name', county), computed_at,
                   (f->>'filed')::float8, (f->>'median_days_to_reply')::float8, (f->>'proposals_per_100_members')::float8,
                   (f->>'backdated_steps')::float8, \(unescaped: rateColumns)
            FROM (SELECT county, compared AS f, computed_at FROM \(identifier: control).county_rollup
                  WHERE year = \(year) AND (cardinality(\(codes)::text[]) = 0 OR county = ANY(\(codes)::text[]))) r
            ORDER BY county
            """)
        return try rows.map { row in
            let county = try row.decode(String.self, at: 0)
            let name = try row.decode(String.self, at: 1)
            let computed = try row.decode(Date.self, at: 2)
            let filed = try row.decode(Double?.self, at: 3)
            let days = try row.decode(Double?.self, at: 4)
            let per100 = try row.decode(Double?.self, at: 5)
            let backdated = try row.decode(Double?.self, at: 6)
            var rates: [String: Rate] = [:]
            for (i, metric) in rolledRates.enumerated() {
                let count = try row.decode(Int.self, at: 7 + 2 * i)
                let of = try row.decode(Int.self, at: 8 + 2 * i)
                rates[metric.rawValue] = Rate(count, of: of)
            }
            return ComparisonRow(
                county: county, countyName: name, external: false, computedAt: LocalTime.iso(computed), rates: rates,
                numbers: [
                    ComparedMetric.filed.rawValue: filed, ComparedMetric.medianDaysToReply.rawValue: days,
                    ComparedMetric.proposalsPer100Members.rawValue: per100, ComparedMetric.backdatedSteps.rawValue: backdated,
                ],
                ranks: [:])
        }
    }

    /// What a rollup keeps for the comparison: the county's name, the compared rates as
    /// `[count, of]` and numbers (`fromRollups` reads it).
    public static func compared(_ report: AnnualReport) -> String {
        let row = Comparison.row(report, computedAt: "")
        var fields = ["\"county_name\": \(AnnualReportJSON.string(report.countyName))"]
        for metric in rolledRates {
            let rate = row.rates[metric.rawValue] ?? Rate(0, of: 0)
            fields.append("\"\(metric.rawValue)\": [\(rate.count), \(rate.of)]")
        }
        for metric in [ComparedMetric.filed, .medianDaysToReply, .proposalsPer100Members, .backdatedSteps] {
            fields.append("\"\(metric.rawValue)\": \((row.numbers[metric.rawValue] ?? nil).map { String($0) } ?? "null")")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// The comparison as JSON (the keys JSONEncoder gives `Comparison`, sorted), written
    /// directly: thousands of rows stay fast.
    public func jsonText() -> String {
        // Written straight into one string (3,000 counties make ~3.6 MB): no intermediate
        // strings per field.
        func number(_ value: Double?, to out: inout String) {
            guard let value, value.isFinite else { out += "null"; return }
            if value == value.rounded(), abs(value) < 1e15 { out += String(Int64(value)) } else { out += String(value) }
        }
        func string(_ text: String, to out: inout String) { JSONText.appendString(text, to: &out) }
        func rate(_ r: Rate, to out: inout String) {
            // As the synthesized encoding: absent, not null, when there is no value.
            out += "{\"count\":"
            out += String(r.count)
            guard let value = r.value, let low = r.low, let high = r.high else {
                out += ",\"of\":"
                out += String(r.of)
                out += "}"
                return
            }
            out += ",\"high\":"
            number(high, to: &out)
            out += ",\"low\":"
            number(low, to: &out)
            out += ",\"of\":"
            out += String(r.of)
            out += ",\"value\":"
            number(value, to: &out)
            out += "}"
        }
        var out = "{\n  \"minimum_count\": \(minimumCount),\n  \"rows\": ["
        out.reserveCapacity(rows.count * 1_300)
        for (i, row) in rows.enumerated() {
            out += i == 0 ? "\n    " : ",\n    "
            out += "{\"computed_at\":"
            string(row.computedAt, to: &out)
            out += ",\"county\":"
            string(row.county, to: &out)
            out += ",\"county_name\":"
            string(row.countyName, to: &out)
            out += row.external ? ",\"external\":true,\"numbers\":{" : ",\"external\":false,\"numbers\":{"
            for (k, key) in row.numbers.keys.sorted().enumerated() {
                if k > 0 { out += "," }
                string(key, to: &out)
                out += ":"
                number(row.numbers[key] ?? nil, to: &out)
            }
            out += "},\"ranks\":{"
            for (k, key) in row.ranks.keys.sorted().enumerated() {
                if k > 0 { out += "," }
                string(key, to: &out)
                out += ":"
                if let rank = row.ranks[key] ?? nil { out += String(rank) } else { out += "null" }
            }
            out += "},\"rates\":{"
            for (k, key) in row.rates.keys.sorted().enumerated() {
                if k > 0 { out += "," }
                string(key, to: &out)
                out += ":"
                rate(row.rates[key] ?? Rate(0, of: 0), to: &out)
            }
            out += "}}"
        }
        out += rows.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"sorted_by\": "
        string(sortedBy, to: &out)
        out += ",\n  \"year\": \(year)\n}"
        return out
    }
}


/// A JSON string literal.
enum AnnualReportJSON {
    static func string(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

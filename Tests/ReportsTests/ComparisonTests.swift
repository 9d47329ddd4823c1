import Foundation
import Reports
import Testing

@Suite struct ComparisonTests {
    func row(_ county: String, onTime: (Int, Int), overdue: (Int, Int), filed: Double, external: Bool = false) -> ComparisonRow {
        ComparisonRow(
            county: county, countyName: county, external: external, computedAt: "",
            rates: ["on_time_rate": Rate(onTime.0, of: onTime.1), "overdue_now": Rate(overdue.0, of: overdue.1)],
            numbers: ["filed": filed, "median_days_to_reply": nil], ranks: [:])
    }

    @Test func countiesRankOnEachMetricBestFirstWithSharedRanksForTies() {
        let comparison = Comparison.ranked([
            row("a", onTime: (90, 100), overdue: (5, 100), filed: 100),
            row("b", onTime: (99, 100), overdue: (1, 100), filed: 100),
            row("c", onTime: (9, 10), overdue: (0, 10), filed: 10),
            row("d", onTime: (3, 3), overdue: (0, 3), filed: 3),     // too few for a rank
            row("e", onTime: (180, 200), overdue: (20, 200), filed: 200, external: true),
        ], year: 2021, sort: .onTimeRate, minimumCount: 10)
        #expect(comparison.rows.map(\.county) == ["b", "a", "c", "e", "d"])
        #expect(comparison.rows.map { $0.ranks["on_time_rate"] ?? nil } == [1, 2, 2, 2, nil])
        // Lower is better for overdue: c (0%) first.
        let overdue = Dictionary(uniqueKeysWithValues: comparison.rows.map { ($0.county, $0.ranks["overdue_now"] ?? nil) })
        #expect(overdue == ["c": 1, "b": 2, "a": 3, "e": 4, "d": nil])
        // A missing number has no rank.
        #expect(comparison.rows.allSatisfy { ($0.ranks["median_days_to_reply"] ?? nil) == nil })
    }

    @Test func unknownSortMetricsAreRefusedWithTheList() {
        let error = #expect(throws: (any Error).self) { try ComparedMetric.parse("speed") }
        #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("--sort: \"speed\" is not one of filed, registration_rate, on_time_rate"))
        #expect((try? ComparedMetric.parse("on-time-rate")) == .onTimeRate)
    }
}

@Suite struct ComparisonJSONTests {
    @Test func theFastJSONWriterSaysWhatJSONEncoderSays() throws {
        let rows = [
            ComparisonRow(county: "a", countyName: "甲县\"引号\"", external: false, computedAt: "2021-12-31T09:00:00+08:00",
                          rates: ["on_time_rate": Rate(57, of: 64), "overdue_now": Rate(0, of: 0)],
                          numbers: ["filed": 65, "median_days_to_reply": nil, "proposals_per_100_members": 30.092592592592592], ranks: [:]),
            ComparisonRow(county: "b", countyName: "乙县", external: true, computedAt: "", rates: ["on_time_rate": Rate(9, of: 10)],
                          numbers: ["filed": 10], ranks: [:]),
        ]
        let comparison = Comparison.ranked(rows, year: 2021, sort: .onTimeRate, minimumCount: 10)
        let fast = try JSONSerialization.jsonObject(with: Data(comparison.jsonText().utf8)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(comparison)) as? NSDictionary
        #expect(fast != nil)
        #expect(fast == reference)
    }
}

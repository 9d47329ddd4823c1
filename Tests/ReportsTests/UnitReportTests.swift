import Reports
import Testing

@Suite struct UnitReportTests {
    func unit(_ name: String, assigned: Int, onTime: Int, satisfied: Int = 0) -> UnitRecord {
        UnitRecord(unit: name, rank: nil, assigned: assigned, replied: assigned, onTimeRate: Rate(onTime, of: assigned), overdueNow: 0,
                   medianDaysToReply: nil, replyCategories: [:], satisfactionRate: Rate(satisfied, of: assigned), rehandled: 0)
    }

    @Test func unitsAreRankedByTheLowerWilsonBoundAboveTheMinimumCount() {
        let ranked = UnitReport.ranked([
            unit("小单位", assigned: 3, onTime: 3),      // 100%, but too few to rank
            unit("城管局", assigned: 50, onTime: 48),    // 96%, lower bound 86.5%
            unit("林业局", assigned: 12, onTime: 12),    // 100%, lower bound 75.8%
            unit("水利局", assigned: 20, onTime: 15),    // 75%
            unit("教育局", assigned: 12, onTime: 12, satisfied: 12),  // ties 林业局 on time, more satisfied
        ], minimumCount: 10)
        #expect(ranked.map(\.unit) == ["城管局", "教育局", "林业局", "水利局", "小单位"])
        #expect(ranked.map(\.rank) == [1, 2, 3, 4, nil])
    }
}

import Reports
import Testing

@Suite struct RateTests {
    @Test func wilsonMatchesPublishedValues() {
        // Newcombe (1998), table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605; 0/20 → 0–0.1611.
        let a = Wilson.interval(successes: 81, trials: 263)
        #expect(abs(a.low - 0.2553) < 0.0001 && abs(a.high - 0.3662) < 0.0001)
        let b = Wilson.interval(successes: 15, trials: 148)
        #expect(abs(b.low - 0.0624) < 0.0001 && abs(b.high - 0.1605) < 0.0001)
        let c = Wilson.interval(successes: 0, trials: 20)
        #expect(c.low == 0 && abs(c.high - 0.1611) < 0.0001)
        let d = Wilson.interval(successes: 20, trials: 20)
        #expect(abs(d.low - 0.8389) < 0.0001 && d.high == 1)
    }

    @Test func aRateShowsItsCountsAndNothingForAnEmptyWhole() {
        let rate = Rate(57, of: 64)
        #expect(rate.display == "89.1% (57/64)")
        #expect(rate.value.map { abs($0 - 0.890625) < 1e-9 } == true)
        let none = Rate(0, of: 0)
        #expect(none.value == nil && none.low == nil)
        #expect(none.display == "– (0/0)")
    }

    @Test func mediansOfOddAndEvenCounts() {
        #expect(median([]) == nil)
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
    }
}

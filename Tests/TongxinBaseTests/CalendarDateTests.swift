import Testing
import TongxinBase

/// CalendarDate, the date every layer shares: a bad or out-of-range date is a WorkflowError,
/// one line, never a trap.
@Suite struct CalendarDateTests {
    @Test func calendarArithmeticStaysInTheYearsOneToNineThousandNineHundredNinetyNine() throws {
        let date = try CalendarDate("0001-01-15")
        #expect(throws: WorkflowError("date out of range: 0001-01-15 + -13 months")) { try date.adding(months: -13) }
        #expect(throws: WorkflowError.self) { try date.adding(days: Int.max) }
        #expect(throws: WorkflowError.self) { try date.adding(months: Int.max) }
        #expect(throws: WorkflowError.self) { try CalendarDate(daysSinceEpoch: Int.max) }
        let march = try CalendarDate("2021-03-31")
        #expect(try march.adding(months: -1) == CalendarDate("2021-02-28"))
        #expect(try march.adding(months: -15) == CalendarDate("2019-12-31"))
        #expect(try march.adding(days: 92) == CalendarDate("2021-07-01"))
    }

    @Test func textThatIsNotADateIsRefusedOnOneLine() {
        #expect(throws: WorkflowError("invalid date 2021-2-30")) { try CalendarDate(year: 2021, month: 2, day: 30) }
        #expect(throws: WorkflowError("invalid date 2021-13-1")) { try CalendarDate("2021-13-01") }
        #expect(throws: WorkflowError("invalid date \"2021-1-1\": expected YYYY-MM-DD")) { try CalendarDate("2021-1-1") }
        #expect(throws: WorkflowError.self) { try CalendarDate("21-01-01") }
        #expect((try? CalendarDate("2024-02-29"))?.isoWeekday == 4)
    }

    @Test func aDateReadsBackAsTheTextItCameFrom() throws {
        for text in ["0001-01-01", "0009-09-09", "0099-10-31", "0999-12-01", "2024-02-29", "9999-12-31"] {
            #expect(try CalendarDate(text).description == text)
        }
        // Every day of a year, against the arithmetic's own count.
        var day = try CalendarDate("2023-12-31")
        for _ in 0..<366 {
            let next = try day.adding(days: 1)
            #expect(try CalendarDate(next.description) == next)
            day = next
        }
        #expect(day.description == "2024-12-31")
    }
}

public import TongxinBase

/// Which days count for deadlines: every day, or working days (Monday to Friday, less public
/// holidays, plus the make-up working weekends of 调休).
public struct WorkCalendar: Sendable, Hashable {
    public enum Counting: String, Sendable, Hashable, CaseIterable {
        case calendar
        case working
    }

    public var counting: Counting
    /// Public holidays that fall on weekdays (days off).
    public var holidays: Set<CalendarDate>
    /// Weekend days that are working days (调休).
    public var makeUpWorkdays: Set<CalendarDate>

    public init(counting: Counting = .calendar, holidays: Set<CalendarDate> = [], makeUpWorkdays: Set<CalendarDate> = []) {
        self.counting = counting
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
    }

    /// True for a day on which offices work.
    public func isWorkingDay(_ day: CalendarDate) -> Bool {
        if makeUpWorkdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        return day.isoWeekday <= 5
    }

    /// `count` days after `start`, in this calendar's counting (working days skip days off).
    /// Zero returns `start`. Throws outside the years 1-9999.
    public func adding(days count: Int, to start: CalendarDate) throws -> CalendarDate {
        guard count >= 0 else { throw WorkflowError("a deadline lies ahead: \(count) days") }
        switch counting {
        case .calendar:
            return try start.adding(days: count)
        case .working:
            return try adding(workingDays: count, to: start)
        }
    }

    /// `count` working days after `start`, whatever the county's counting (micro-suggestions).
    public func adding(workingDays count: Int, to start: CalendarDate) throws -> CalendarDate {
        var day = start
        var left = count
        var guardDays = 0
        while left > 0 {
            day = try day.adding(days: 1)
            if isWorkingDay(day) { left -= 1 }
            guardDays += 1
            if guardDays > 3_660 + count * 7 {
                throw WorkflowError("no working day found within ten years after \(start)")
            }
        }
        return day
    }

    /// `months` calendar months after `start`; with working-day counting a deadline that falls
    /// on a day off moves to the next working day.
    public func adding(months: Int, to start: CalendarDate) throws -> CalendarDate {
        var day = try start.adding(months: months)
        guard counting == .working else { return day }
        var steps = 0
        while !isWorkingDay(day) {
            day = try day.adding(days: 1)
            steps += 1
            if steps > 3_660 { throw WorkflowError("no working day found within ten years after \(day)") }
        }
        return day
    }
}


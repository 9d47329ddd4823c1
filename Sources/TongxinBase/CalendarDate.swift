/// The value types every layer of Tongxin shares, with no dependency: the pure workflow rules
/// build on this alone, the driver teaches PostgreSQL to read and write them.

/// A refused workflow step or bad input (a date that does not exist, a value out of range), on
/// one line.
public struct WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    /// The record does not exist, or is not the principal's to see (another county's, a proposal
    /// not assigned to the unit): the web answers 404, the same as for a record that is not there.
    public let isNotFound: Bool

    public init(_ description: String) {
        self.description = description
        isNotFound = false
    }

    public init(notFound description: String) {
        self.description = description
        isNotFound = true
    }
}

/// A calendar date without time or zone (PostgreSQL `date`): deadlines, session days, holidays.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Validates the date (proleptic Gregorian calendar, years 1-9999).
    public init(year: Int, month: Int, day: Int) throws {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else {
            throw WorkflowError("invalid date \(year)-\(month)-\(day)")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    package init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init(_ text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { throw WorkflowError("invalid date \"\(text.prefix(40))\": expected YYYY-MM-DD") }
        try self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { CalendarDate.daysFromCivil(year, month, day) }

    /// The date `days` after 1970-01-01; throws outside the years 1-9999.
    public init(daysSinceEpoch days: Int) throws {
        guard (CalendarDate.firstDay...CalendarDate.lastDay).contains(days) else {
            throw WorkflowError("date out of range: day \(days) after 1970-01-01 is outside the years 1-9999")
        }
        let (y, m, d) = CalendarDate.civilFromDays(days)
        self.init(unchecked: y, m, d)
    }

    /// Throws when the result leaves the years 1-9999.
    public func adding(days: Int) throws -> CalendarDate {
        let (sum, overflow) = daysSinceEpoch.addingReportingOverflow(days)
        guard !overflow else { throw WorkflowError("date out of range: \(self) + \(days) days") }
        return try CalendarDate(daysSinceEpoch: sum)
    }

    /// Adds calendar months, clamping the day to the month's length (Jan 31 + 1 month = Feb 28/29).
    /// Throws when the result leaves the years 1-9999.
    public func adding(months: Int) throws -> CalendarDate {
        guard abs(months) <= 12 * 10_000 else { throw WorkflowError("date out of range: \(self) + \(months) months") }
        let total = year * 12 + (month - 1) + months
        let y = total >= 0 ? total / 12 : (total - 11) / 12
        let m = total - y * 12 + 1
        guard (1...9999).contains(y) else { throw WorkflowError("date out of range: \(self) + \(months) months") }
        return CalendarDate(unchecked: y, m, min(day, CalendarDate.daysIn(month: m, year: y)))
    }

    package static let firstDay = daysFromCivil(1, 1, 1)
    package static let lastDay = daysFromCivil(9999, 12, 31)

    /// 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let w = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        // Written straight into the string's storage (pages print many dates).
        if (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) {
            return String(unsafeUninitializedCapacity: 10) { buffer in
                func write(_ value: Int, at start: Int, width: Int) {
                    var v = value
                    for index in stride(from: start + width - 1, through: start, by: -1) {
                        buffer[index] = UInt8(48 + v % 10)
                        v /= 10
                    }
                }
                write(year, at: 0, width: 4)
                buffer[4] = 45
                write(month, at: 5, width: 2)
                buffer[7] = 45
                write(day, at: 8, width: 2)
                return 10
            }
        }
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    package static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    package static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    package static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

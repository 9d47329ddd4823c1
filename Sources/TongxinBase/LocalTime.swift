public import Foundation

/// Local days and times of the committees: China Standard Time (UTC+8, no daylight saving).
public enum LocalTime {
    public static let offsetSeconds = 8 * 3600
    /// The zone name PostgreSQL uses to turn timestamps into local days.
    public static let zoneName = "Asia/Shanghai"

    public static func day(of time: Date) -> CalendarDate {
        let seconds = Int((time.timeIntervalSince1970 + Double(offsetSeconds)).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (try? CalendarDate(daysSinceEpoch: days)) ?? CalendarDate.epoch
    }

    /// Midnight local time at the start of `day`, plus `seconds`.
    public static func time(on day: CalendarDate, seconds: Int = 0) -> Date {
        Date(timeIntervalSince1970: Double(day.daysSinceEpoch * 86_400 - offsetSeconds + seconds))
    }

    /// ISO 8601 in local time: `2021-03-10T09:00:00+08:00`.
    public static func iso(_ time: Date) -> String {
        let (day, seconds) = split(time)
        return "\(day)T\(clock(seconds, withSeconds: true))+08:00"
    }

    /// For tables: `2021-03-10 09:00`.
    public static func display(_ time: Date) -> String {
        let (day, seconds) = split(time)
        return "\(day) \(clock(seconds, withSeconds: false))"
    }

    private static func split(_ time: Date) -> (CalendarDate, Int) {
        let day = self.day(of: time)
        let seconds = Int((time.timeIntervalSince1970 + Double(offsetSeconds)).rounded(.down)) - day.daysSinceEpoch * 86_400
        return (day, max(0, min(86_399, seconds)))
    }

    private static func clock(_ seconds: Int, withSeconds: Bool) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let hm = "\(two(seconds / 3600)):\(two(seconds / 60 % 60))"
        return withSeconds ? hm + ":\(two(seconds % 60))" : hm
    }

    /// Parses `--as-of` values: `2021-03-01`, `2021-03-01T09:30`, `2021-03-01 09:30:00`, with an
    /// optional `Z` or `±HH:MM` zone (local time when none).
    public static func parse(_ text: String, field: String = "--as-of") throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let failure = WorkflowError("\(field): \"\(trimmed.prefix(40))\" is not a date or time like 2021-03-01 or 2021-03-01T09:30:00+08:00")
        let bytes = Array(trimmed.utf8)
        guard bytes.count >= 10 else { throw failure }
        guard let day = try? CalendarDate(String(decoding: bytes[0..<10], as: UTF8.self)) else { throw failure }
        var rest = bytes[10...]
        var seconds = 0
        var offset = offsetSeconds
        func number(_ slice: ArraySlice<UInt8>) -> Int? {
            guard !slice.isEmpty, slice.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(String(decoding: slice, as: UTF8.self))
        }
        if let first = rest.first {
            guard first == UInt8(ascii: "T") || first == UInt8(ascii: " ") else { throw failure }
            rest = rest.dropFirst()
            // Zone suffix.
            if rest.last == UInt8(ascii: "Z") {
                offset = 0
                rest = rest.dropLast()
            } else if rest.count >= 6, let sign = rest.dropLast(5).last, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                let zone = rest.suffix(5)
                guard zone.dropFirst(2).first == UInt8(ascii: ":"), let h = number(zone.prefix(2)), let m = number(zone.suffix(2)),
                    h <= 14, m < 60
                else { throw failure }
                offset = (h * 3600 + m * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
                rest = rest.dropLast(6)
            }
            let parts = rest.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard (2...3).contains(parts.count), let h = number(parts[parts.startIndex]), let m = number(parts[parts.startIndex + 1]),
                parts[parts.startIndex].count == 2, parts[parts.startIndex + 1].count == 2, h < 24, m < 60
            else { throw failure }
            var s = 0
            if parts.count == 3 {
                let secondsPart = parts[parts.startIndex + 2]
                guard secondsPart.count == 2, let value = number(secondsPart), value < 60 else { throw failure }
                s = value
            }
            seconds = h * 3600 + m * 60 + s
        }
        return Date(timeIntervalSince1970: Double(day.daysSinceEpoch * 86_400 + seconds - offset))
    }
}

extension CalendarDate {
    /// 1970-01-01.
    package static var epoch: CalendarDate {
        (try? CalendarDate(daysSinceEpoch: 0)) ?? { fatalError("1970-01-01 is a valid date") }()
    }
}

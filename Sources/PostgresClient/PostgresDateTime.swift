public import Foundation
public import TongxinBase


/// PostgreSQL's `interval`: months, days and microseconds kept apart, as the server does
/// ("3 months" is not a fixed number of days).
public struct PostgresInterval: Sendable, Hashable, CustomStringConvertible {
    public var months: Int32
    public var days: Int32
    public var microseconds: Int64

    public init(months: Int32 = 0, days: Int32 = 0, microseconds: Int64 = 0) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    /// ISO 8601 with designators, as PostgreSQL reads and (with IntervalStyle iso_8601) writes it.
    public var description: String {
        var text = "P"
        if months != 0 { text += "\(months)M" }
        if days != 0 { text += "\(days)D" }
        if microseconds != 0 || (months == 0 && days == 0) {
            let sign = microseconds < 0 ? "-" : ""
            let magnitude = microseconds.magnitude
            let whole = magnitude / 1_000_000
            let fraction = magnitude % 1_000_000
            text += "T\(sign)\(whole)"
            if fraction != 0 {
                let f = String(fraction)
                text += "." + String(repeating: "0", count: 6 - f.count) + f
            }
            text += "S"
        }
        return text
    }

    /// Parses PostgreSQL's iso_8601 output, e.g. `P1Y2M3DT4H5M6.5S` or `P-1Y-2M3DT-4H-5M-6S`.
    init?(iso text: String) {
        var bytes = Substring(text)
        guard bytes.first == "P" else { return nil }
        bytes = bytes.dropFirst()
        var inTime = false
        var months: Int64 = 0
        var days: Int64 = 0
        var micros: Int64 = 0
        while !bytes.isEmpty {
            if bytes.first == "T" {
                inTime = true
                bytes = bytes.dropFirst()
                continue
            }
            var number = Substring()
            let start = bytes.startIndex
            var end = start
            while end < bytes.endIndex, "+-0123456789.".contains(bytes[end]) { end = bytes.index(after: end) }
            number = bytes[start..<end]
            guard end < bytes.endIndex, !number.isEmpty else { return nil }
            let unit = bytes[end]
            bytes = bytes[bytes.index(after: end)...]
            guard let whole = Int64(number) ?? (inTime && unit == "S" ? 0 : nil) else { return nil }
            var addMonths: Int64 = 0, addDays: Int64 = 0, addMicros: Int64 = 0
            var factor: Int64 = 1
            switch (inTime, unit) {
            case (false, "Y"): (addMonths, factor) = (whole, 12)
            case (false, "M"): addMonths = whole
            case (false, "W"): (addDays, factor) = (whole, 7)
            case (false, "D"): addDays = whole
            case (true, "H"): (addMicros, factor) = (whole, 3_600_000_000)
            case (true, "M"): (addMicros, factor) = (whole, 60_000_000)
            case (true, "S"):
                guard let v = PostgresInterval.microseconds(seconds: number) else { return nil }
                addMicros = v
            default:
                return nil
            }
            // Checked arithmetic: text from a server must never crash the reader.
            func add(_ total: inout Int64, _ value: Int64) -> Bool {
                let (scaled, o1) = value.multipliedReportingOverflow(by: factor)
                let (sum, o2) = total.addingReportingOverflow(scaled)
                total = sum
                return !(o1 || o2)
            }
            guard add(&months, addMonths), add(&days, addDays), add(&micros, addMicros) else { return nil }
        }
        guard let m = Int32(exactly: months), let d = Int32(exactly: days) else { return nil }
        self.init(months: m, days: d, microseconds: micros)
    }

    /// Parses IntervalStyle postgres, the server's default (behind a transaction pooler no
    /// session setting can be relied on): `1 year 2 mons -3 days +04:05:06.5`, `-00:00:01`.
    init?(postgres text: String) {
        let parts = text.split(separator: " ")
        var months: Int64 = 0, days: Int64 = 0, micros: Int64 = 0
        var index = 0
        func add(_ total: inout Int64, _ value: Int64, _ factor: Int64) -> Bool {
            let (scaled, o1) = value.multipliedReportingOverflow(by: factor)
            let (sum, o2) = total.addingReportingOverflow(scaled)
            total = sum
            return !(o1 || o2)
        }
        while index < parts.count {
            let part = parts[index]
            if part.contains(":") {
                var clock = part
                var negative = false
                if clock.first == "-" { negative = true; clock = clock.dropFirst() } else if clock.first == "+" { clock = clock.dropFirst() }
                let fields = clock.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count == 3, let hours = Int64(fields[0]), let minutes = Int64(fields[1]),
                    hours >= 0, (0..<60).contains(minutes),
                    let seconds = PostgresInterval.microseconds(seconds: fields[2]), seconds >= 0
                else { return nil }
                var value: Int64 = 0
                guard add(&value, hours, 3_600_000_000), add(&value, minutes, 60_000_000), add(&value, seconds, 1),
                    add(&micros, negative ? -value : value, 1)
                else { return nil }
                index += 1
                continue
            }
            guard index + 1 < parts.count, let number = Int64(part) else { return nil }
            let ok: Bool
            switch parts[index + 1] {
            case "year", "years": ok = add(&months, number, 12)
            case "mon", "mons": ok = add(&months, number, 1)
            case "day", "days": ok = add(&days, number, 1)
            default: return nil
            }
            guard ok else { return nil }
            index += 2
        }
        guard !parts.isEmpty, let m = Int32(exactly: months), let d = Int32(exactly: days) else { return nil }
        self.init(months: m, days: d, microseconds: micros)
    }

    /// "-6.5" → -6_500_000 without floating-point rounding.
    static func microseconds(seconds text: Substring) -> Int64? {
        var text = text
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        } else if text.first == "+" {
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(6)
            guard !digits.isEmpty, let f = Int64(digits) else { return nil }
            fraction = f
            for _ in digits.count..<6 { fraction *= 10 }
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 1_000_000)
        let (value, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2 else { return nil }
        return negative ? -value : value
    }
}

enum TimestampCodec {
    /// Parses ISO DateStyle output: `2021-03-04 05:06:07[.ffffff][+hh[:mm[:ss]]]`, or a bare date.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        let b = bytes
        func num(_ from: Int, _ count: Int) -> Int? { TextParse.digits(b, from, count) }
        guard let (year, month, day) = TextParse.isoDate(b), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = Int64(CalendarDate.daysFromCivil(year, month, day)) * 86_400
        var micros: Int64 = 0
        var i = 10
        if i < b.count {
            guard b[i] == 32 || b[i] == UInt8(ascii: "T"), let h = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58,
                let mi = num(i + 4, 2), b.count > i + 6, b[i + 6] == 58, let s = num(i + 7, 2)
            else { return nil }
            seconds += Int64(h * 3600 + mi * 60 + s)
            i += 9
            if i < b.count, b[i] == 46 {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 6 {
                        micros = micros * 10 + Int64(b[i] - 48)
                        digits += 1
                    }
                    i += 1
                }
                while digits < 6 {
                    micros *= 10
                    digits += 1
                }
            }
            if i < b.count {
                guard b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2) else { return nil }
                var offset = oh * 3600
                var j = i + 3
                if j < b.count, b[j] == 58, let om = num(j + 1, 2) {
                    offset += om * 60
                    j += 3
                }
                if j < b.count, b[j] == 58, let os = num(j + 1, 2) {
                    offset += os
                    j += 3
                }
                guard j == b.count else { return nil }
                seconds -= Int64(b[i] == 43 ? offset : -offset)
            }
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, microsecond precision; nil outside the years 1-9999.
    static func format(_ date: Date) -> String? {
        let seconds1970 = date.timeIntervalSince1970
        let limit = Double(CalendarDate.lastDay + 1) * 86_400
        guard seconds1970.isFinite, seconds1970 >= Double(CalendarDate.firstDay) * 86_400, seconds1970 < limit,
            let totalMicros = Int64(exactly: (seconds1970 * 1_000_000).rounded())
        else { return nil }
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = CalendarDate.civilFromDays(Int(days))
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2)) \(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(micros, 6))+00"
    }
}

extension Date: PostgresDecodable {
    /// timestamptz (any zone offset), timestamp (taken as UTC) or date (UTC midnight).
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Date {
        try cell.require(Date.self, types: PostgresType.timestamptz, PostgresType.timestamp, PostgresType.date)
        guard let date = TimestampCodec.parse(bytes) else {
            throw cell.failure(Date.self, "\"\(cell.text)\" is not an ISO timestamp (infinity and BC dates are not supported)")
        }
        return date
    }
}

extension CalendarDate: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> CalendarDate {
        try cell.require(CalendarDate.self, types: PostgresType.date)
        // Read from the bytes (DateStyle ISO), without making a String first.
        guard bytes.count == 10, let (year, month, day) = TextParse.isoDate(bytes),
            let date = try? CalendarDate(year: year, month: month, day: day)
        else {
            throw cell.failure(CalendarDate.self, "\"\(cell.text)\" is not a YYYY-MM-DD date")
        }
        return date
    }
}

extension PostgresInterval: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> PostgresInterval {
        try cell.require(PostgresInterval.self, types: PostgresType.interval)
        guard let value = PostgresInterval(iso: cell.text) ?? PostgresInterval(postgres: cell.text) else {
            throw cell.failure(PostgresInterval.self, "\"\(cell.text)\" is not in IntervalStyle iso_8601 or postgres")
        }
        return value
    }
}

extension Duration: PostgresDecodable {
    /// An interval without months; a day counts as 24 hours.
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Duration {
        let interval = try PostgresInterval.decode(from: cell, bytes: bytes)
        guard interval.months == 0 else {
            throw cell.failure(Duration.self, "an interval with months has no fixed length; decode as PostgresInterval")
        }
        let (dayMicros, o1) = Int64(interval.days).multipliedReportingOverflow(by: 86_400_000_000)
        let (total, o2) = dayMicros.addingReportingOverflow(interval.microseconds)
        guard !o1, !o2 else { throw cell.failure(Duration.self, "interval out of range") }
        return .microseconds(total)
    }
}

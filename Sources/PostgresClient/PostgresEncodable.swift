public import Foundation
public import TongxinBase

/// A Swift value that can be sent as a bind parameter, in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    /// The parameter's type OID (0 lets the server infer it).
    static var postgresType: UInt32 { get }
    /// Appends the text representation.
    func encode(into buffer: inout PostgresTextBuffer)
}

extension Bool: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.bool }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(byte: self ? 116 : 102) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.int2 }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(integer: self) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.int4 }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(integer: self) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.int8 }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(integer: self) }
}

extension Int: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.int8 }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(integer: self) }
}

extension Double: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.float8 }
    public func encode(into buffer: inout PostgresTextBuffer) {
        if isNaN {
            buffer.append("NaN")
        } else if isInfinite {
            buffer.append(self < 0 ? "-Infinity" : "Infinity")
        } else {
            buffer.append(description)
        }
    }
}

extension Decimal: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.numeric }
    public func encode(into buffer: inout PostgresTextBuffer) {
        buffer.append(isNaN ? "NaN" : NSDecimalNumber(decimal: self).description(withLocale: Locale(identifier: "en_US_POSIX")))
    }
}

extension String: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.text }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(self) }
}

extension Substring: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.text }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(self) }
}

extension UUID: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.uuid }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(uuidString) }
}

extension Date: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.timestamptz }
    public func encode(into buffer: inout PostgresTextBuffer) {
        if let text = TimestampCodec.format(self) {
            buffer.append(text)
        } else {
            buffer.invalid = "date \(timeIntervalSince1970) s after 1970 is outside the years 1-9999"
        }
    }
}

extension CalendarDate: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.date }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(description) }
}

extension PostgresInterval: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.interval }
    public func encode(into buffer: inout PostgresTextBuffer) { buffer.append(description) }
}

extension Duration: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.interval }
    /// Sent as an interval of seconds, microsecond precision.
    public func encode(into buffer: inout PostgresTextBuffer) {
        let (seconds, attoseconds) = components
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: 1_000_000)
        let (micros, o2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000)
        guard !o1, !o2 else {
            buffer.invalid = "duration of \(seconds) s is too long for an interval"
            return
        }
        PostgresInterval(microseconds: micros).encode(into: &buffer)
    }
}

extension Data: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.bytea }
    public func encode(into buffer: inout PostgresTextBuffer) { UInt8.encodeArray(Array(self), into: &buffer) }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: UInt32 { Element.arrayType }
    public func encode(into buffer: inout PostgresTextBuffer) { Element.encodeArray(self, into: &buffer) }
}

extension JSONB: PostgresEncodable {
    public static var postgresType: UInt32 { PostgresType.jsonb }
    public func encode(into buffer: inout PostgresTextBuffer) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            buffer.append(contentsOf: try encoder.encode(value))
        } catch {
            // JSON cannot hold the value (NaN, infinity): the statement fails, nothing is stored.
            buffer.invalid = "cannot encode \(Value.self) as JSON: \(error)"
        }
    }
}

// MARK: - Arrays of text and integers

/// PostgreSQL's one-dimensional array literal: `{a,"b c",NULL}`.
enum ArrayLiteral {
    /// Splits an array literal into its elements (nil for NULL).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [String?]? {
        let b = Array(bytes)
        guard b.first == 123, b.last == 125 else { return nil }  // { }
        if b.count == 2 { return [] }
        var out: [String?] = []
        var i = 1
        let end = b.count - 1
        while i <= end {
            var element: [UInt8] = []
            var quoted = false
            if b[i] == 34 {  // "
                quoted = true
                i += 1
                while i < end, b[i] != 34 {
                    if b[i] == 92 { i += 1 }  // backslash escape
                    guard i < end else { return nil }
                    element.append(b[i])
                    i += 1
                }
                guard i < end else { return nil }
                i += 1  // closing quote
            } else {
                while i < end, b[i] != 44 {
                    if b[i] == 123 { return nil }  // nested arrays are not supported
                    element.append(b[i])
                    i += 1
                }
            }
            let text = String(decoding: element, as: UTF8.self)
            out.append(!quoted && text == "NULL" ? nil : text)
            guard i == end || b[i] == 44 else { return nil }
            i += 1
        }
        return out
    }

    static func encode<S: Sequence>(_ elements: S, into buffer: inout PostgresTextBuffer, quote: Bool)
    where S.Element == String {
        buffer.append(byte: 123)
        var first = true
        for element in elements {
            if !first { buffer.append(byte: 44) }
            first = false
            if quote {
                buffer.append(byte: 34)
                for byte in element.utf8 {
                    if byte == 34 || byte == 92 { buffer.append(byte: 92) }
                    buffer.append(byte: byte)
                }
                buffer.append(byte: 34)
            } else {
                buffer.append(element)
            }
        }
        buffer.append(byte: 125)
    }

    static func decode<T>(
        _ cell: PostgresCell, _ bytes: UnsafeRawBufferPointer, types: [UInt32],
        element: (String) -> T?
    ) throws -> [T] {
        guard types.contains(cell.type) else {
            throw cell.failure([T].self, "column type is not one of \(types.map(PostgresType.name(of:)).joined(separator: ", "))")
        }
        guard let items = parse(bytes) else {
            throw cell.failure([T].self, "not a one-dimensional array literal")
        }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let item else { throw cell.failure([T].self, "element \(index + 1) is NULL") }
            guard let value = element(item) else {
                throw cell.failure([T].self, "element \(index + 1) \"\(item.prefix(40))\" is not a \(T.self)")
            }
            out.append(value)
        }
        return out
    }
}

extension String: PostgresArrayElement {
    public static var arrayType: UInt32 { PostgresType.textArray }
    public static func decodeArray(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> [String] {
        try ArrayLiteral.decode(cell, bytes, types: [PostgresType.textArray, PostgresType.varcharArray]) { $0 }
    }
    public static func encodeArray(_ values: [String], into buffer: inout PostgresTextBuffer) {
        ArrayLiteral.encode(values, into: &buffer, quote: true)
    }
}

private let integerArrayTypes = [PostgresType.int2Array, PostgresType.int4Array, PostgresType.int8Array]

extension PostgresArrayElement where Self: FixedWidthInteger & LosslessStringConvertible {
    public static func decodeArray(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> [Self] {
        try ArrayLiteral.decode(cell, bytes, types: integerArrayTypes) { Self($0) }
    }

    public static func encodeArray(_ values: [Self], into buffer: inout PostgresTextBuffer) {
        ArrayLiteral.encode(values.lazy.map(String.init), into: &buffer, quote: false)
    }
}

extension Int16: PostgresArrayElement {
    public static var arrayType: UInt32 { PostgresType.int2Array }
}

extension Int32: PostgresArrayElement {
    public static var arrayType: UInt32 { PostgresType.int4Array }
}

extension Int64: PostgresArrayElement {
    public static var arrayType: UInt32 { PostgresType.int8Array }
}

extension Int: PostgresArrayElement {
    public static var arrayType: UInt32 { PostgresType.int8Array }
}

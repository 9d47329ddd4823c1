public import Foundation

/// One field of a result row as the server sent it (text format), valid while decoding.
public struct PostgresCell {
    /// The field's bytes, or nil for SQL NULL.
    public let bytes: UnsafeRawBufferPointer?
    /// The column's type OID.
    public let type: UInt32
    public let columnName: String
    public let columnIndex: Int

    /// The field as text (empty for NULL).
    public var text: String {
        guard let bytes else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A decoding error for this cell.
    public func failure<T>(_ expected: T.Type, _ reason: String) -> PostgresDecodingError {
        PostgresDecodingError(
            column: columnName, columnIndex: columnIndex, expected: String(describing: expected),
            actualType: PostgresType.name(of: type), reason: reason)
    }

    /// Throws unless the column's type is one of `accepted`.
    public func require<T>(_ expected: T.Type, types accepted: UInt32...) throws {
        guard accepted.contains(type) else {
            throw failure(expected, "column type is not one of \(accepted.map(PostgresType.name(of:)).joined(separator: ", "))")
        }
    }
}

/// A value that could not be decoded, naming the column and the Swift type asked for.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public var column: String
    public var columnIndex: Int
    public var expected: String
    public var actualType: String
    public var reason: String

    public var description: String {
        "cannot decode column \"\(column)\" (#\(columnIndex + 1), \(actualType)) as \(expected): \(reason)"
    }
}

/// A type that can be read from a result column.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL field.
    static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Self
    /// Called for a NULL field: non-optional types throw, `Optional` returns nil.
    static func decodeNull(from cell: PostgresCell) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(from cell: PostgresCell) throws -> Self {
        throw cell.failure(Self.self, "unexpected NULL (decode as Optional to allow NULL)")
    }

    static func decode(cell: PostgresCell) throws -> Self {
        guard let bytes = cell.bytes else { return try decodeNull(from: cell) }
        return try decode(from: cell, bytes: bytes)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Self {
        try Wrapped.decode(from: cell, bytes: bytes)
    }

    public static func decodeNull(from cell: PostgresCell) throws -> Self { nil }
}

// MARK: - Scalars

enum TextParse {
    /// `count` ASCII digits at `from` as a number; nil when one is not a digit or the bytes end first.
    static func digits(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ count: Int) -> Int? {
        guard from >= 0, count > 0, from + count <= bytes.count else { return nil }
        var value = 0
        for index in from..<(from + count) {
            let b = bytes[index]
            guard b >= 48, b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }

    /// The `YYYY-MM-DD` the bytes start with (ISO DateStyle), as numbers not yet checked
    /// against the calendar.
    static func isoDate(_ bytes: UnsafeRawBufferPointer) -> (year: Int, month: Int, day: Int)? {
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
            let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2)
        else { return nil }
        return (year, month, day)
    }

    /// Parses a decimal integer (optional sign) with overflow checks.
    static func integer<I: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, as: I.Type) -> I? {
        var index = 0
        var negative = false
        guard !bytes.isEmpty else { return nil }
        if bytes[0] == 45 {
            negative = true
            index = 1
        } else if bytes[0] == 43 {
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: I = 0
        while index < bytes.count {
            let b = bytes[index]
            guard b >= 48, b <= 57 else { return nil }
            let digit = I(b - 48)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            index += 1
        }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Bool {
        try cell.require(Bool.self, types: PostgresType.bool)
        guard bytes.count == 1 else { throw cell.failure(Bool.self, "not t or f") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.failure(Bool.self, "not t or f")
        }
    }
}

private let integerTypes: Set<UInt32> = [PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid]

extension PostgresDecodable where Self: FixedWidthInteger {
    /// Integers decode from any integer column whose value fits.
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Self {
        guard integerTypes.contains(cell.type) else {
            throw cell.failure(Self.self, "column type is not an integer type")
        }
        guard let value = TextParse.integer(bytes, as: Self.self) else {
            throw cell.failure(Self.self, "\"\(cell.text)\" does not fit")
        }
        return value
    }
}

extension Int16: PostgresDecodable {}
extension Int32: PostgresDecodable {}
extension Int64: PostgresDecodable {}
extension Int: PostgresDecodable {}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Double {
        guard cell.type == PostgresType.float8 || cell.type == PostgresType.float4
            || cell.type == PostgresType.numeric || integerTypes.contains(cell.type)
        else { throw cell.failure(Double.self, "column type is not numeric") }
        guard let value = Double(cell.text) else {
            throw cell.failure(Double.self, "\"\(cell.text)\" is not a number")
        }
        return value
    }
}

extension Decimal: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Decimal {
        guard cell.type == PostgresType.numeric || integerTypes.contains(cell.type) else {
            throw cell.failure(Decimal.self, "column type is not numeric or an integer type")
        }
        let text = cell.text
        guard text != "NaN", let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { throw cell.failure(Decimal.self, "\"\(text)\" is not a finite decimal") }
        return value
    }
}

extension String: PostgresDecodable {
    /// Any column decodes as String: its text representation.
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> UUID {
        try cell.require(UUID.self, types: PostgresType.uuid)
        guard let value = UUID(uuidString: cell.text) else {
            throw cell.failure(UUID.self, "\"\(cell.text)\" is not a UUID")
        }
        return value
    }
}

// MARK: - bytea

enum Hex {
    static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 97...102: return b - 87
        case 65...70: return b - 55
        default: return nil
        }
    }

    static let digits = Array("0123456789abcdef".utf8)
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> [Element] {
        try Element.decodeArray(from: cell, bytes: bytes)
    }
}

/// Element types of the arrays the layer reads and writes, and `UInt8` for bytea.
public protocol PostgresArrayElement: Sendable {
    static func decodeArray(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> [Self]
    static var arrayType: UInt32 { get }
    static func encodeArray(_ values: [Self], into buffer: inout PostgresTextBuffer)
}

extension UInt8: PostgresArrayElement {
    /// `[UInt8]` is bytea.
    public static var arrayType: UInt32 { PostgresType.bytea }

    public static func decodeArray(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        try cell.require([UInt8].self, types: PostgresType.bytea)
        guard bytes.count >= 2, bytes[0] == 92, bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw cell.failure([UInt8].self, "not in bytea hex format (set bytea_output = hex)")
        }
        var out = [UInt8]()
        out.reserveCapacity((bytes.count - 2) / 2)
        var i = 2
        while i < bytes.count {
            guard let hi = Hex.value(bytes[i]), let lo = Hex.value(bytes[i + 1]) else {
                throw cell.failure([UInt8].self, "invalid hex digit")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    public static func encodeArray(_ values: [UInt8], into buffer: inout PostgresTextBuffer) {
        buffer.bytes.reserveCapacity(buffer.bytes.count + 2 + values.count * 2)
        buffer.append(byte: 92)
        buffer.append(byte: UInt8(ascii: "x"))
        for b in values {
            buffer.append(byte: Hex.digits[Int(b >> 4)])
            buffer.append(byte: Hex.digits[Int(b & 15)])
        }
    }
}

extension Data: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> Data {
        Data(try UInt8.decodeArray(from: cell, bytes: bytes))
    }
}

// MARK: - jsonb

/// A Codable value stored as jsonb (or json): `\(JSONB(settings))` to write,
/// `row.decode(JSONB<Settings>.self).value` to read.
public struct JSONB<Value: Codable & Sendable>: Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

extension JSONB: Equatable where Value: Equatable {}
extension JSONB: Hashable where Value: Hashable {}

extension JSONB: PostgresDecodable {
    public static func decode(from cell: PostgresCell, bytes: UnsafeRawBufferPointer) throws -> JSONB<Value> {
        try cell.require(JSONB<Value>.self, types: PostgresType.jsonb, PostgresType.json)
        do {
            return JSONB(try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw cell.failure(JSONB<Value>.self, "invalid JSON for \(Value.self): \(error)")
        }
    }
}

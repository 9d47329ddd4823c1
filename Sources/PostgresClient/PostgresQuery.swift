import Foundation

/// A statement and its bind values, built by string interpolation.
///
/// Each interpolated value becomes a bind parameter (`$1`, `$2`, …), never SQL text:
/// ```swift
/// let q: PostgresQuery = "SELECT title FROM proposal WHERE id = \(id) AND year = \(year)"
/// ```
/// Identifiers (schema and table names) go in through ``PostgresIdentifier``, validated and
/// quoted: `"SELECT count(*) FROM \(identifier: county).proposal"`. Raw SQL text only enters
/// through the visibly named escape hatches ``init(unsafeSQL:binds:)`` and
/// `\(unescaped: …)`. Printing a query shows its SQL and redacts its values.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation,
    CustomStringConvertible, CustomDebugStringConvertible
{
    public var sql: String
    public var binds: PostgresBindings

    /// Escape hatch: use `sql` as it is. Never build `sql` from input.
    public init(unsafeSQL sql: String, binds: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = PostgresBindings()
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    public var description: String {
        binds.count == 0 ? sql : "\(sql) [\(binds.count) bind value(s) redacted]"
    }

    public var debugDescription: String {
        "PostgresQuery(sql: \(sql), binds: \(binds))"
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        public typealias StringLiteralType = String
        var sql: String
        var binds: PostgresBindings

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds = PostgresBindings(capacity: interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql.append(literal)
        }

        /// A bind parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value)
            sql.append("$\(binds.count)")
        }

        /// A bind parameter that may be NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value)
            sql.append("$\(binds.count)")
        }

        /// A validated identifier, quoted.
        public mutating func appendInterpolation(identifier: PostgresIdentifier) {
            sql.append(identifier.quoted)
        }

        /// A qualified name `"schema"."name"`.
        public mutating func appendInterpolation(
            identifier schema: PostgresIdentifier, _ name: PostgresIdentifier
        ) {
            sql.append(schema.quoted)
            sql.append(".")
            sql.append(name.quoted)
        }

        /// Escape hatch: splice `text` into the SQL unchanged. Never pass input here.
        public mutating func appendInterpolation(unescaped text: String) {
            sql.append(text)
        }

        /// Splices another query (a fragment, e.g. a CTE) with its values: its placeholders
        /// are renumbered to follow this query's. The fragment's SQL must have no `$n` text of
        /// its own outside quotes other than its placeholders (no dollar quoting), as queries
        /// built by interpolation have.
        public mutating func appendInterpolation(fragment: PostgresQuery) {
            sql.append(PostgresQuery.renumbered(fragment.sql, by: binds.count))
            binds.append(contentsOf: fragment.binds)
        }
    }
}

extension PostgresQuery {
    /// `sql` with each placeholder `$n` outside quoted literals and identifiers as `$(n + offset)`.
    static func renumbered(_ sql: String, by offset: Int) -> String {
        guard offset > 0 else { return sql }
        var out: [UInt8] = []
        let bytes = Array(sql.utf8)
        out.reserveCapacity(bytes.count + 16)
        var quote: UInt8?
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if let q = quote {
                out.append(b)
                if b == q { quote = nil }  // a doubled quote closes and reopens: same result
                i += 1
                continue
            }
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
                quote = b
                out.append(b)
                i += 1
                continue
            }
            if b == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] >= 48, bytes[i + 1] <= 57 {
                var j = i + 1
                var n = 0
                while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57, n < 1_000_000 {
                    n = n * 10 + Int(bytes[j] - 48)
                    j += 1
                }
                out.append(contentsOf: Array("$\(n + offset)".utf8))
                i = j
                continue
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A validated SQL identifier (schema, table, column, channel or role name).
///
/// Only `[a-z_][a-z0-9_]*`, at most 63 bytes, is accepted, so a county code or any other name
/// from input can never change the statement it is spliced into; ``quoted`` adds double quotes.
public struct PostgresIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) throws {
        guard Self.isValid(name) else {
            throw PostgresError.misuse(
                "invalid identifier \"\(name.prefix(80))\": use 1-63 characters from a-z, 0-9 and _, not starting with a digit"
            )
        }
        self.name = name
    }

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63 else { return false }
        func lowerOrUnderscore(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || b == 95 }
        guard lowerOrUnderscore(first) else { return false }
        return bytes.allSatisfy { lowerOrUnderscore($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// The identifier in double quotes, ready for SQL text.
    public var quoted: String { "\"\(name)\"" }
    public var description: String { name }
}

/// The bind values of a query, encoded in PostgreSQL's text format.
public struct PostgresBindings: Sendable, Hashable, CustomStringConvertible {
    /// Parameter type OIDs (0 lets the server infer the type).
    public private(set) var types: [UInt32] = []
    /// Each non-NULL value's bytes followed by a NUL terminator.
    var storage: [UInt8] = []
    /// Start of each value in `storage`, or -1 for NULL.
    var offsets: [Int] = []
    /// The first value that cannot be sent (for example a string with a NUL character).
    var invalid: String?

    public init() {}

    public init(capacity: Int) {
        types.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
    }

    public var count: Int { types.count }

    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        let start = storage.count
        var buffer = PostgresTextBuffer(bytes: storage)
        storage = []
        value.encode(into: &buffer)
        storage = buffer.bytes
        if invalid == nil, let reason = buffer.invalid {
            invalid = "bind value $\(types.count + 1) (\(Value.self)): \(reason)"
        } else if invalid == nil, storage[start...].contains(0) {
            invalid = "bind value $\(types.count + 1) (\(Value.self)) contains a NUL character"
        }
        storage.append(0)
        offsets.append(start)
        types.append(Value.postgresType)
    }

    public mutating func append<Value: PostgresEncodable>(_ value: Value?) {
        if let value {
            append(value)
        } else {
            appendNull(type: Value.postgresType)
        }
    }

    public mutating func appendNull(type: UInt32 = 0) {
        offsets.append(-1)
        types.append(type)
    }

    /// Appends another query's values after these.
    public mutating func append(contentsOf other: PostgresBindings) {
        let base = storage.count
        storage.append(contentsOf: other.storage)
        offsets.append(contentsOf: other.offsets.map { $0 >= 0 ? $0 + base : -1 })
        if invalid == nil, let reason = other.invalid { invalid = reason }
        types.append(contentsOf: other.types)
    }

    public var description: String {
        "[" + types.map { "\(PostgresType.name(of: $0)): ****" }.joined(separator: ", ") + "]"
    }

    /// Calls `body` with libpq's parameter arrays (values as C strings, NULL for NULL).
    func withParameters<R>(
        _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?) throws -> R
    ) rethrows -> R {
        if types.isEmpty { return try body(nil, nil) }
        return try storage.withUnsafeBufferPointer { raw in
            try raw.withMemoryRebound(to: CChar.self) { chars in
                var pointers = [UnsafePointer<CChar>?](repeating: nil, count: offsets.count)
                if let base = chars.baseAddress {
                    for (i, offset) in offsets.enumerated() where offset >= 0 {
                        pointers[i] = base + offset
                    }
                }
                return try types.withUnsafeBufferPointer { typePointer in
                    try pointers.withUnsafeBufferPointer { valuePointer in
                        try body(typePointer.baseAddress, valuePointer.baseAddress)
                    }
                }
            }
        }
    }
}

/// A growable byte buffer that encoders append a value's text representation to.
public struct PostgresTextBuffer: Sendable {
    public var bytes: [UInt8]
    /// Set by an encoder that cannot represent its value; the statement then fails with `.misuse`.
    public var invalid: String?

    public init(bytes: [UInt8] = []) { self.bytes = bytes }

    public mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    public mutating func append(_ string: Substring) {
        bytes.append(contentsOf: string.utf8)
    }

    public mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    public mutating func append<S: Sequence>(contentsOf sequence: S) where S.Element == UInt8 {
        bytes.append(contentsOf: sequence)
    }

    /// Appends a decimal integer without allocating a String.
    public mutating func append<I: FixedWidthInteger>(integer value: I) {
        if value == 0 {
            bytes.append(48)
            return
        }
        var magnitude = UInt64(value.magnitude)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(20)
        while magnitude > 0 {
            scratch.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        }
        if value < 0 { bytes.append(45) }
        bytes.append(contentsOf: scratch.reversed())
    }
}

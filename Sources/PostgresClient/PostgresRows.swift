import CLibPQ

/// An owned libpq result: the one place `PQclear` is called.
final class ResultHandle: @unchecked Sendable {
    // Immutable after creation; libpq results are safe to read from any thread.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { PQclear(pointer) }
}

/// The rows a statement returned, all in memory.
///
/// Decode a row's columns in order with `row.decode((Int64, String).self)`, or one column by
/// name with `row.decode(String.self, column: "title")`.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let handle: ResultHandle?
    public let columns: [String]
    public let columnTypes: [UInt32]
    public let count: Int
    /// Rows inserted, updated or deleted, as the command tag says (0 when it says nothing).
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 1` or `SELECT 3`.
    public let commandTag: String

    init(result: ResultHandle) {
        let pointer = result.pointer
        handle = result
        let columnCount = Int(PQnfields(pointer))
        var names: [String] = []
        var types: [UInt32] = []
        names.reserveCapacity(columnCount)
        types.reserveCapacity(columnCount)
        for i in 0..<Int32(columnCount) {
            names.append(PQfname(pointer, i).map { String(cString: $0) } ?? "?column?")
            types.append(PQftype(pointer, i))
        }
        columns = names
        columnTypes = types
        count = Int(PQntuples(pointer))
        commandTag = PQcmdStatus(pointer).map { String(cString: $0) } ?? ""
        affectedRows = PQcmdTuples(pointer).flatMap { Int(String(cString: $0)) } ?? 0
    }

    init() {
        handle = nil
        columns = []
        columnTypes = []
        count = 0
        affectedRows = 0
        commandTag = ""
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }

    /// Each row's columns decoded in order.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> [(repeat each T)] {
        var out: [(repeat each T)] = []
        out.reserveCapacity(count)
        for row in self { out.append(try row.decode(types)) }
        return out
    }

    /// The only row; an error when there is none or more than one.
    public func single() throws -> PostgresRow {
        guard count == 1 else {
            throw PostgresError.misuse("expected exactly one row, got \(count) (\(commandTag))")
        }
        return self[0]
    }

    func cell(row: Int, column: Int) -> PostgresCell {
        guard let handle, row >= 0, row < count, column >= 0, column < columns.count else {
            return PostgresCell(bytes: nil, type: 0, columnName: "?", columnIndex: column)
        }
        let r = Int32(row)
        let c = Int32(column)
        var bytes: UnsafeRawBufferPointer?
        if PQgetisnull(handle.pointer, r, c) == 0, let value = PQgetvalue(handle.pointer, r, c) {
            bytes = UnsafeRawBufferPointer(start: value, count: Int(PQgetlength(handle.pointer, r, c)))
        }
        return PostgresCell(bytes: bytes, type: columnTypes[column], columnName: columns[column], columnIndex: column)
    }

    func columnIndex(named name: String) -> Int? { columns.firstIndex(of: name) }
}

/// One row of ``PostgresRows``.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    public let index: Int

    public var columns: [String] { rows.columns }

    /// The row's columns decoded in order; the tuple must have one element per column.
    public func decode<each T: PostgresDecodable>(_: (repeat each T).Type) throws -> (repeat each T) {
        var column = 0
        var expected = 0
        for _ in repeat (each T).self { expected += 1 }
        guard expected == rows.columns.count else {
            throw PostgresError.misuse("decode asks for \(expected) column(s), the row has \(rows.columns.count): \(rows.columns.joined(separator: ", "))")
        }
        // The result stays alive while its cells' bytes are read (once for the row, not per cell).
        return try withExtendedLifetime(rows.handle) {
            func next<U: PostgresDecodable>(_: U.Type) throws -> U {
                defer { column += 1 }
                return try U.decode(cell: rows.cell(row: index, column: column))
            }
            return (repeat try next((each T).self))
        }
    }

    /// One column by name.
    public func decode<T: PostgresDecodable>(_: T.Type, column name: String) throws -> T {
        guard let column = rows.columnIndex(named: name) else {
            throw PostgresError.misuse("no column \"\(name)\" in the result (columns: \(rows.columns.joined(separator: ", ")))")
        }
        return try decode(T.self, at: column)
    }

    /// One column by position (0-based).
    public func decode<T: PostgresDecodable>(_: T.Type, at column: Int) throws -> T {
        guard column >= 0, column < rows.columns.count else {
            throw PostgresError.misuse("no column #\(column + 1) in the result (it has \(rows.columns.count))")
        }
        return try withExtendedLifetime(rows.handle) {
            try T.decode(cell: rows.cell(row: index, column: column))
        }
    }
}

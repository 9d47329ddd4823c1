import CLibPQ

/// Writes rows for `COPY … FROM STDIN` in PostgreSQL's text format; values are escaped here.
public struct PostgresCopyWriter: ~Copyable {
    var buffer: [UInt8] = []
    var scratch = PostgresTextBuffer()
    var fieldsInRow = 0
    public private(set) var rowCount = 0
    let send: ([UInt8]) throws -> Void
    static let chunkSize = 1 << 16

    init(send: @escaping ([UInt8]) throws -> Void) {
        self.send = send
        buffer.reserveCapacity(Self.chunkSize + 1024)
    }

    /// Appends one field of the current row.
    public mutating func field<Value: PostgresEncodable>(_ value: Value) {
        if fieldsInRow > 0 { buffer.append(9) }
        fieldsInRow += 1
        scratch.bytes.removeAll(keepingCapacity: true)
        value.encode(into: &scratch)
        for byte in scratch.bytes {
            switch byte {
            case 92: buffer.append(92); buffer.append(92)  // backslash
            case 10: buffer.append(92); buffer.append(110)  // \n
            case 13: buffer.append(92); buffer.append(114)  // \r
            case 9: buffer.append(92); buffer.append(116)  // \t
            default: buffer.append(byte)
            }
        }
    }

    /// Appends one field that may be NULL.
    public mutating func field<Value: PostgresEncodable>(_ value: Value?) {
        if let value {
            field(value)
        } else {
            null()
        }
    }

    /// Appends a NULL field.
    public mutating func null() {
        if fieldsInRow > 0 { buffer.append(9) }
        fieldsInRow += 1
        buffer.append(92)
        buffer.append(78)  // \N
    }

    /// Ends the current row; sends a chunk when enough has gathered.
    public mutating func endRow() throws {
        buffer.append(10)
        fieldsInRow = 0
        rowCount += 1
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// One row of non-NULL values.
    public mutating func row<each Value: PostgresEncodable>(_ values: repeat each Value) throws {
        repeat field(each values)
        try endRow()
    }

    mutating func flush() throws {
        if buffer.isEmpty { return }
        try send(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

extension ConnectionCore {
    func copyIn(sql: String, produce: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let pg = try requireOpen()
        guard PQsendQuery(pg, sql) == 1 else { throw connectionError() }
        try flush(pg)
        try awaitResult(pg)
        guard let first = PQgetResult(pg) else { throw PostgresError(kind: .protocolViolation, message: "no result for COPY") }
        let firstHandle = ResultHandle(first)
        guard PQresultStatus(first) == PGRES_COPY_IN else {
            // An error (bad table, bad column): read to the end and report it.
            var failure = serverError(firstHandle.pointer, sql: sql)
            if PQresultStatus(first) != PGRES_FATAL_ERROR {
                failure = PostgresError.misuse("not a COPY … FROM STDIN statement")
            }
            _ = try? collect(pg, sql: sql)
            throw failure
        }
        var writer = PostgresCopyWriter { [self] chunk in
            try chunk.withUnsafeBufferPointer { raw in
                try raw.withMemoryRebound(to: CChar.self) { chars in
                    while true {
                        let rc = PQputCopyData(pg, chars.baseAddress, Int32(chars.count))
                        if rc == 1 { break }
                        if rc < 0 { throw connectionError() }
                        _ = try wait(socket: PQsocket(pg), read: false, write: true, deadline: nil, mode: .cancelStatement)
                    }
                }
            }
            try flush(pg)
        }
        var producerError: (any Error)?
        do {
            try produce(&writer)
            try writer.flush()
        } catch {
            producerError = error
        }
        let endRC = producerError == nil ? PQputCopyEnd(pg, nil) : PQputCopyEnd(pg, "COPY aborted by the client")
        guard endRC >= 0 else { throw connectionError() }
        try flush(pg)
        do {
            let rows = try collect(pg, sql: sql)
            if let producerError { throw producerError }
            return rows.affectedRows
        } catch {
            throw producerError ?? error
        }
    }
}

extension PostgresConnection {
    /// Bulk-loads rows with `COPY table (columns) FROM STDIN`; returns the number of rows.
    ///
    /// `produce` runs on the connection's thread and writes rows with ``PostgresCopyWriter``;
    /// if it throws, the COPY is aborted and nothing is loaded.
    @discardableResult
    public func copyFrom(
        table: PostgresIdentifier, schema: PostgresIdentifier? = nil, columns: [PostgresIdentifier],
        _ produce: @escaping @Sendable (inout PostgresCopyWriter) throws -> Void
    ) async throws -> Int {
        var target = table.quoted
        if let schema { target = schema.quoted + "." + target }
        let sql = "COPY \(target) (\(columns.map(\.quoted).joined(separator: ", "))) FROM STDIN"
        return try await perform { core in try core.copyIn(sql: sql, produce: produce) }
    }
}

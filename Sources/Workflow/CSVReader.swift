public import Foundation
import TongxinBase

/// A parsed CSV file: the header's column names and the records below it.
public struct CSVTable: Sendable, Hashable {
    /// Column names, trimmed of surrounding spaces; unique and not empty.
    public let header: [String]
    /// The records, each with exactly `header.count` fields.
    public let records: [CSVRecord]

    public init(header: [String], records: [CSVRecord]) {
        self.header = header
        self.records = records
    }

    /// The position of the column named `column` (exact, after trimming), or nil.
    public func index(of column: String) -> Int? {
        header.firstIndex(of: column)
    }

    /// The field of `record` in the column named `column`; nil for an unknown column.
    public func value(_ column: String, in record: CSVRecord) -> String? {
        guard let index = index(of: column), record.fields.indices.contains(index) else { return nil }
        return record.fields[index]
    }
}

/// One record of a CSV file.
public struct CSVRecord: Sendable, Hashable {
    /// The 1-based physical line on which the record starts.
    public let line: Int
    /// The fields as written (quotes removed, doubled quotes undone, nothing trimmed).
    public let fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// Reads CSV as Excel and WPS save it ("CSV UTF-8"): UTF-8 with or without a BOM, CRLF, LF or
/// CR line ends, RFC 4180 quoting. Empty lines are skipped; the first record is the header.
public enum CSVReader {
    /// The longest field accepted, in characters.
    public static let maxFieldLength = 100_000

    /// Parses `data`; a refusal is a `WorkflowError` that names the line ("line 7: …").
    public static func parse(_ data: Data) throws -> CSVTable {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw WorkflowError("the file is UTF-16 (save the file as UTF-8 CSV)")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if String(validating: bytes, as: UTF8.self) == nil {
            throw WorkflowError("line \(firstInvalidLine(bytes)): not valid UTF-8 (save the file as UTF-8 CSV)")
        }
        var parser = Parser(bytes: bytes)
        guard let first = try parser.nextRecord() else { throw WorkflowError("the file is empty") }
        let header = try checkedHeader(first)
        var records: [CSVRecord] = []
        while let record = try parser.nextRecord() {
            guard record.fields.count == header.count else {
                throw WorkflowError("line \(record.line): \(record.fields.count) fields, the header has \(header.count)")
            }
            records.append(record)
        }
        return CSVTable(header: header, records: records)
    }

    /// Header names trimmed; empty or repeated names refused.
    private static func checkedHeader(_ record: CSVRecord) throws -> [String] {
        var seen = Set<String>()
        return try record.fields.enumerated().map { offset, field in
            let name = field.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw WorkflowError("line \(record.line): column \(offset + 1) has no name") }
            guard seen.insert(name).inserted else {
                throw WorkflowError("line \(record.line): column \"\(name)\" appears twice")
            }
            return name
        }
    }

    /// The physical line of the first byte that is not UTF-8 (CRLF, LF and CR end lines).
    private static func firstInvalidLine(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8.ForwardParser()
        var offset = 0
        loop: while true {
            switch decoder.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput, .error: break loop
            }
        }
        var line = 1
        for (index, byte) in bytes[..<min(offset, bytes.count)].enumerated() {
            if byte == lf || (byte == cr && bytes.indices.contains(index + 1) && bytes[index + 1] != lf) { line += 1 }
        }
        return line
    }

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

    /// Walks validated UTF-8 bytes record by record, counting physical lines.
    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        var line = 1
        var buffer: [UInt8] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// The next non-empty record, or nil at the end.
        mutating func nextRecord() throws -> CSVRecord? {
            while position < bytes.count, bytes[position] == cr || bytes[position] == lf { skipLineEnd() }
            guard position < bytes.count else { return nil }
            let start = line
            var fields: [String] = []
            while true {
                let fieldLine = line
                let field = try position < bytes.count && bytes[position] == quote ? quoted() : unquoted()
                if field.utf8.count > maxFieldLength, field.count > maxFieldLength {
                    throw WorkflowError("line \(fieldLine), field \(fields.count + 1): longer than \(maxFieldLength) characters")
                }
                fields.append(field)
                guard position < bytes.count else { break }
                if bytes[position] == comma {
                    position += 1
                } else {
                    skipLineEnd()
                    break
                }
            }
            return CSVRecord(line: start, fields: fields)
        }

        /// Steps over one CRLF, LF or CR.
        private mutating func skipLineEnd() {
            if bytes[position] == cr, position + 1 < bytes.count, bytes[position + 1] == lf { position += 1 }
            position += 1
            line += 1
        }

        /// A field up to the next comma or line end; a quote inside is refused.
        private mutating func unquoted() throws -> String {
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == comma || byte == cr || byte == lf { break }
                if byte == quote {
                    throw WorkflowError("line \(line): a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                position += 1
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A quoted field, at its opening quote; line ends inside are kept and counted.
        private mutating func quoted() throws -> String {
            let opened = line
            buffer.removeAll(keepingCapacity: true)
            position += 1
            while true {
                guard position < bytes.count else { throw WorkflowError("line \(opened): a quoted field is not closed") }
                let byte = bytes[position]
                position += 1
                if byte == quote {
                    guard position < bytes.count, bytes[position] == quote else { break }
                    position += 1
                } else if byte == lf || (byte == cr && (position == bytes.count || bytes[position] != lf)) {
                    line += 1
                }
                buffer.append(byte)
            }
            if position < bytes.count, ![comma, cr, lf].contains(bytes[position]) {
                throw WorkflowError("line \(line): text after a closing quote (double a quote inside a quoted field)")
            }
            return String(decoding: buffer, as: UTF8.self)
        }
    }
}

import ArgumentParser
import Foundation
import WorkflowStore
import TongxinBase

/// How a read prints its result: an aligned table for people, JSON or CSV for programs and
/// spreadsheets.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
}

/// Terminal column width: East Asian Wide and Fullwidth characters take two columns,
/// combining marks, zero-width and control characters none, everything else one.
struct DisplayWidth {
    static func of(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value >= 0x20, value < 0x7F { return 1 }
        switch scalar.properties.generalCategory {
        case .control, .nonspacingMark, .enclosingMark: return 0
        default: break
        }
        if zero.contains(where: { $0.contains(value) }) { return 0 }
        if value < 0x1100 { return 1 }
        // Binary search for the last range starting at or below `value`.
        var low = 0, high = wide.count
        while low < high {
            let middle = (low + high) / 2
            if wide[middle].lowerBound <= value { low = middle + 1 } else { high = middle }
        }
        return low > 0 && wide[low - 1].contains(value) ? 2 : 1
    }

    /// Zero-width spaces and joiners, direction marks, word joiner, BOM, Hangul medial vowels
    /// and final consonants (they join the preceding initial into one syllable).
    private static let zero: [ClosedRange<UInt32>] = [
        0x1160...0x11FF, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0xFEFF...0xFEFF,
    ]

    /// East Asian Width W and F (Unicode 14 EastAsianWidth.txt, with the reserved CJK ranges that
    /// default to W); runs separated only by unassigned code points are merged. Sorted.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F,
        0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
        0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5,
        0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
        0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E, 0x3041...0x3247, 0x3250...0x4DBF, 0x4E00...0xA4C6, 0xA960...0xA97C,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6B, 0xFF01...0xFF60,
        0xFFE0...0xFFE6, 0x16FE0...0x1B2FB, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F320, 0x1F32D...0x1F335,
        0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3,
        0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440...0x1F440,
        0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567,
        0x1F57A...0x1F57A, 0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F,
        0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6DF,
        0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x3FFFD,
    ]
}

/// Rows as aligned text: a header line, a line of dashes, one line per row; columns two spaces
/// apart, padded by display width so Chinese text lines up, numeric columns right-aligned.
struct TextTable {
    var columns: [String]
    var rows: [[String]]

    /// The lines joined by "\n", without a final line end (for `print`). Rows shorter than the
    /// columns are padded with empty cells; cells beyond the columns get columns without a name.
    /// Line ends, tabs and other control characters in cells show as spaces.
    func render() -> String {
        let count = rows.reduce(columns.count) { max($0, $1.count) }
        func cells(_ row: [String]) -> [String] {
            (0..<count).map { row.indices.contains($0) ? TextTable.flatten(row[$0]) : "" }
        }
        let header = cells(columns)
        let body = rows.map(cells)
        let all = [header] + body
        let widths = (0..<count).map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
        let numeric = (0..<count).map { column in
            let values = body.map { $0[column] }.filter { !$0.isEmpty }
            return !values.isEmpty && values.allSatisfy(CSVOutput.isNumber)
        }
        func line(_ row: [String]) -> String {
            var text = row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - DisplayWidth.of(row[column]))
                return numeric[column] ? padding + row[column] : row[column] + padding
            }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        let separator = widths.map { String(repeating: "-", count: $0) }
        return ([line(header), line(separator)] + body.map(line)).joined(separator: "\n")
    }

    /// One line: CRLF becomes one space, other control characters one space each.
    private static func flatten(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return cell }
        let scalars = cell.replacingOccurrences(of: "\r\n", with: " ").unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// Rows as CSV (RFC 4180, CRLF line ends) that spreadsheets open safely.
enum CSVOutput {
    /// Every record ends with CRLF; `bom` puts a UTF-8 BOM first so Excel reads the file as UTF-8.
    /// Fields with a comma, quote, CR, LF or surrounding spaces are quoted; a text field that
    /// starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so it cannot run as a formula.
    /// Rows shorter than the columns are padded with empty fields.
    static func render(columns: [String], rows: [[String]], bom: Bool = false) -> String {
        var text = bom ? "\u{FEFF}" : ""
        for cells in [columns] + rows {
            let padded = cells + Array(repeating: "", count: max(0, columns.count - cells.count))
            text += padded.map(field).joined(separator: ",") + "\r\n"
        }
        return text
    }

    static func field(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isNumber(value) {
            value = "'" + value
        }
        let special = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard special || value.first == " " || value.last == " " else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A plain decimal number: optional sign, digits with an optional fraction, optional exponent
    /// (`12`, `-3.5`, `+.5`, `1e6`); not `inf`, `nan` or hexadecimal.
    static func isNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

/// Values as JSON: pretty printed, sorted keys, slashes and non-ASCII text as they are.
enum JSONOutput {
    /// The JSON text, without a final line end (for `print`). Times as ISO 8601 in the
    /// committees' local time (`2021-03-10T09:00:00+08:00`).
    static func render<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(LocalTime.iso(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

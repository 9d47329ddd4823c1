import Foundation

/// The version every Tongxin program reports (`tongxin --version`, `tongxin-worker --version`).
public enum TongxinVersion {
    public static let current = "0.2.0"
}

/// `text` on one line: PostgreSQL's and libpq's messages can hold line breaks and tabs.
public func oneLine(_ text: String) -> String {
    text.split(whereSeparator: { $0.isNewline || $0 == "\t" })
        .map { $0.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed() }
        .filter { !$0.isEmpty }.map { String($0) }.joined(separator: " ")
}

/// An error's description on one line.
public func oneLine(_ error: any Error) -> String {
    oneLine("\(error)")
}

/// Validation of free text from users: trimmed, bounded, no control characters (line breaks
/// allowed where a field is multi-line).
public enum Text {
    public static func required(_ text: String, field: String, maximum: Int, multiline: Bool = false) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw WorkflowError("\(field): must not be empty") }
        return try checked(trimmed, field: field, maximum: maximum, multiline: multiline)
    }

    public static func optional(_ text: String?, field: String, maximum: Int, multiline: Bool = false) throws -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : try checked(trimmed, field: field, maximum: maximum, multiline: multiline)
    }

    private static func checked(_ text: String, field: String, maximum: Int, multiline: Bool) throws -> String {
        // Counted as PostgreSQL's length() counts: code points.
        let count = text.unicodeScalars.count
        guard count <= maximum else { throw WorkflowError("\(field): \(count) characters, at most \(maximum)") }
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline, scalar == "\n" || scalar == "\r" || scalar == "\t" { continue }
            if scalar.value == 0 { throw WorkflowError("\(field): contains a NUL character") }
            throw WorkflowError("\(field): contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
        }
        return text
    }
}

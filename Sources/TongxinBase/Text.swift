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

import Foundation
public import PostgresClient

/// Splits SQL text into statements at top-level semicolons, skipping quoted strings, quoted
/// identifiers, dollar-quoted bodies and comments. For `-- tongxin:no-transaction` files, whose
/// statements must run one at a time (CREATE INDEX CONCURRENTLY refuses a multi-statement query).
enum SQLStatements {
    /// The statement with the keyword CONCURRENTLY removed (for an index on a new, empty table).
    static func withoutConcurrently(_ statement: String) -> String {
        statement.replacingOccurrences(of: #"\bCONCURRENTLY\b"#, with: "", options: [.regularExpression, .caseInsensitive])
    }

    static func split(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var meaningful = false
        var i = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if meaningful, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            meaningful = false
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                // Line comment: kept in the text, not meaningful.
                while i < chars.count, chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                        depth += 1; current.append(chars[i]); current.append(chars[i + 1]); i += 2
                    } else if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" {
                        depth -= 1; current.append(chars[i]); current.append(chars[i + 1]); i += 2
                    } else {
                        current.append(chars[i]); i += 1
                    }
                } while depth > 0 && i < chars.count
                continue
            case "'", "\"":
                meaningful = true
                current.append(c)
                i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c { current.append(chars[i + 1]); i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            case "$":
                // $tag$ … $tag$ (tag: letters, digits, _; not starting with a digit).
                var j = i + 1
                while j < chars.count, chars[j].properties.isAlphabetic || chars[j] == "_" || (j > i + 1 && ("0"..."9").contains(chars[j])) { j += 1 }
                if j < chars.count, chars[j] == "$" {
                    let tag = Array(chars[i...j])
                    meaningful = true
                    current.append(contentsOf: tag)
                    i = j + 1
                    while i < chars.count {
                        if chars[i] == "$", i + tag.count <= chars.count, Array(chars[i..<(i + tag.count)]) == tag {
                            current.append(contentsOf: tag)
                            i += tag.count
                            break
                        }
                        current.append(chars[i])
                        i += 1
                    }
                    continue
                }
            case ";":
                flush()
                i += 1
                continue
            default:
                break
            }
            if !c.properties.isWhitespace { meaningful = true }
            current.append(c)
            i += 1
        }
        flush()
        return statements
    }
}

extension PostgresConnection {
    /// Runs a script's statements each as a query string of its own (Citus forwards a DDL
    /// statement to its workers with the string it came in: one statement per string), all in
    /// one round trip. Inside a transaction they share its fate; outside one they form one.
    public func executeScriptByStatement(_ sql: String) async throws {
        try await executeUnsafeStatements(SQLStatements.split(sql))
    }
}

/// HTML that escapes by default: a `String` interpolated into an `HTML` literal is escaped
/// (`<`, `>`, `&`, `"`, `'`), so text from a person or the database can never become markup;
/// only another `HTML` value is inserted as it is. Every page is built this way.
public struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String

    public init(stringLiteral value: String) { text = value }
    public init(stringInterpolation: Interpolation) { text = stringInterpolation.text }
    init(trusted: String) { text = trusted }

    public var description: String { text }

    public static let empty = HTML(trusted: "")

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        /// Text: escaped.
        public mutating func appendInterpolation(_ value: String) { HTML.escape(value, into: &text) }
        public mutating func appendInterpolation(_ value: Substring) { HTML.escape(String(value), into: &text) }
        public mutating func appendInterpolation(_ value: Int) { text += String(value) }
        /// Markup built the same way: as it is.
        public mutating func appendInterpolation(_ value: HTML) { text += value.text }
        public mutating func appendInterpolation(_ values: [HTML]) { for value in values { text += value.text } }
        /// An optional's text, or nothing.
        public mutating func appendInterpolation(_ value: String?) { if let value { HTML.escape(value, into: &text) } }
    }

    static func escape(_ value: String, into out: inout String) {
        // Most text has nothing to escape: one pass over its bytes, then appended whole.
        if !value.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) {
            out += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    public static func escaped(_ value: String) -> String {
        var out = ""
        escape(value, into: &out)
        return out
    }

    /// Several pieces in a row.
    public static func join(_ parts: [HTML], separator: HTML = .empty) -> HTML {
        HTML(trusted: parts.map(\.text).joined(separator: separator.text))
    }

    /// `attribute` when `on`, else nothing (checked, selected, disabled).
    public static func flag(_ attribute: String, _ on: Bool) -> HTML { on ? HTML(trusted: " " + attribute) : .empty }
}

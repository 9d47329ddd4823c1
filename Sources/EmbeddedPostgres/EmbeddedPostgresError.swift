import Foundation

/// A failure to start, stop or use a throwaway server.
///
/// `description` is one line: the step, what went wrong, and the last lines of the server log or
/// of the command's output. `output` holds a longer tail for `debugDescription`.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// The step that failed.
    public enum Step: String, Sendable {
        /// Finding the PostgreSQL server binaries and the account to run them as.
        case discover
        /// Creating the private folder.
        case prepare
        case initdb
        /// Writing `postgresql.conf` and `pg_hba.conf`.
        case configure
        case start
        case stop
        case restart
        /// Spawning the program given to `run`.
        case run
    }

    public let step: Step
    /// What went wrong, in one sentence.
    public let message: String
    /// The last lines (up to 20) of the server log or the command's output; may be empty.
    public let output: String

    public init(step: Step, message: String, output: String = "") {
        self.step = step
        self.message = message
        self.output = output
    }

    public var description: String {
        let tail = Self.lastLines(output, count: 3).joined(separator: " | ")
        var line = "EmbeddedPostgres \(step.rawValue): \(message)"
        if !tail.isEmpty {
            line += " — " + (tail.count > 400 ? "…" + String(tail.suffix(400)) : tail)
        }
        return line
    }

    public var debugDescription: String {
        output.isEmpty ? description : description + "\n" + output
    }

    /// The last `count` non-blank lines of `text`, trimmed.
    static func lastLines(_ text: String, count: Int) -> [String] {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return Array(lines.suffix(count))
    }

    /// `text` cut down to its last 20 non-blank lines, for `output`.
    static func tail(_ text: String) -> String {
        lastLines(text, count: 20).joined(separator: "\n")
    }
}

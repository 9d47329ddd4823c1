import Foundation
import Synchronization

/// What a figure must reach: `≥`, `≤` or `<` a limit, and how the limit reads in the output.
struct Target: Sendable {
    enum Comparison: String, Sendable {
        case atLeast = "≥"
        case atMost = "≤"
        case below = "<"
    }

    let comparison: Comparison
    let limit: Double
    /// The limit as printed, with its unit ("0.85×", "15,000 jobs/s", "40 MB").
    let text: String

    static func atLeast(_ limit: Double, _ text: String) -> Target { Target(comparison: .atLeast, limit: limit, text: text) }
    static func atMost(_ limit: Double, _ text: String) -> Target { Target(comparison: .atMost, limit: limit, text: text) }
    static func below(_ limit: Double, _ text: String) -> Target { Target(comparison: .below, limit: limit, text: text) }

    func isMet(by value: Double) -> Bool {
        guard value.isFinite else { return false }
        switch comparison {
        case .atLeast: return value >= limit
        case .atMost: return value <= limit
        case .below: return value < limit
        }
    }

    var description: String { "\(comparison.rawValue) \(text)" }
}

/// Every figure with a target, as the run measured it, for the closing summary.
final class Scoreboard: Sendable {
    struct Entry: Sendable {
        let what: String
        let figure: String
        let target: Target
        let met: Bool
    }

    private let entries = Mutex<[Entry]>([])

    func record(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    var all: [Entry] { entries.withLock { $0 } }
}

extension Bench {
    static let scoreboard = Scoreboard()

    /// Prints `what: figure (target ≥ X) ok|MISS` and keeps the outcome for the summary.
    static func report(_ what: String, _ figure: String, value: Double, target: Target) {
        let met = target.isMet(by: value)
        scoreboard.record(Scoreboard.Entry(what: what, figure: figure, target: target, met: met))
        print("\(what): \(figure) (target \(target.description)) \(met ? "ok" : "MISS")")
        fflush(nil)
    }

    /// A figure without a target (context for the others): `what: figure (no target)`.
    static func report(_ what: String, _ figure: String) {
        print("\(what): \(figure) (no target)")
        fflush(nil)
    }

    /// A figure with a target that could not be measured: a miss, with the reason.
    static func unmeasured(_ what: String, reason: String, target: Target) {
        scoreboard.record(Scoreboard.Entry(what: what, figure: "not measured", target: target, met: false))
        print("\(what): not measured: \(reason) (target \(target.description)) MISS")
        fflush(nil)
    }

    /// The closing line: how many targets were met and which were missed. Returns whether
    /// every target was met.
    @discardableResult
    static func summary() -> Bool {
        let entries = scoreboard.all
        let missed = entries.filter { !$0.met }
        var line = "targets: \(entries.count - missed.count) of \(entries.count) met"
        if !missed.isEmpty {
            line += "; missed: " + missed.map { "\($0.what) (\($0.figure), target \($0.target.description))" }.joined(separator: "; ")
        }
        print(line)
        fflush(nil)
        return missed.isEmpty
    }

    /// `TONGXIN_BENCH_STRICT=1`: a missed target fails the run (after every figure is printed).
    static var strict: Bool {
        let value = ProcessInfo.processInfo.environment["TONGXIN_BENCH_STRICT"] ?? ""
        return !value.isEmpty && value != "0"
    }
}

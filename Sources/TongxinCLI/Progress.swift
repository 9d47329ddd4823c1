import Foundation
import Synchronization

/// Progress of a run over many counties: a redrawn bar on a terminal, plain lines otherwise.
final class Progress: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var failures = 0
        var drawn = false
    }

    let terminal: Bool
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    init(terminal: Bool = isatty(STDOUT_FILENO) == 1) {
        self.terminal = terminal
    }

    /// One county finished: a plain line, or (on a terminal) failures as lines above the bar.
    func update(done: Int, total: Int, line: String, failed: Bool) {
        let now = ContinuousClock.now
        // Written under the lock, so lines and bar never interleave or go stale.
        state.withLock { state in
            if failed { state.failures += 1 }
            guard terminal else {
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                return
            }
            var text = ""
            if failed { text += "\r\u{1B}[K" + line + "\n" }
            let due = state.lastDraw.map { now - $0 >= .milliseconds(100) } ?? true
            if due || failed || done == total {
                state.lastDraw = now
                state.drawn = true
                text += "\r\u{1B}[K" + Progress.bar(done: done, total: total, elapsed: now - start, failures: state.failures)
            }
            if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
        }
    }

    /// Ends the bar's line.
    func finish() {
        if terminal, state.withLock({ $0.drawn }) { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    /// `[#######-------------]  120/3000   85.2/s  ETA 34s  0 failed`
    static func bar(done: Int, total: Int, elapsed: Duration, failures: Int, width: Int = 24) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let (s, a) = elapsed.components
        let seconds = Double(s) + Double(a) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Int((Double(total - done) / rate).rounded(.up)) : 0
        let etaText = done >= total ? "done" : (rate > 0 ? "ETA \(eta)s" : "ETA -")
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + "\(done)/\(total)  " + String(format: "%.1f/s", rate) + "  \(etaText)  \(failures) failed"
    }
}

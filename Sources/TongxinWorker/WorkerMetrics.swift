import Foundation
import Synchronization

/// The worker's counters and latency histograms, as Prometheus text.
public final class WorkerMetrics: Sendable {
    /// Histogram bucket bounds in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    struct Histogram {
        var counts = [Int](repeating: 0, count: WorkerMetrics.bounds.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ value: Double) {
            sum += value
            count += 1
            if let i = WorkerMetrics.bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
        }
    }

    struct Values {
        var processed: [String: Int] = [:]
        var failed: [String: Int] = [:]
        var retried: [String: Int] = [:]
        var dead: [String: Int] = [:]
        var rescued = 0
        var pruned = 0
        /// Run time of jobs, per kind.
        var duration: [String: Histogram] = [:]
        /// From due (or enqueued, when later) to start, per queue.
        var pickup: [String: Histogram] = [:]
    }

    private let values = Mutex(Values())

    public init() {}

    func completed(kind: String, seconds: Double) {
        values.withLock {
            $0.processed[kind, default: 0] += 1
            $0.duration[kind, default: Histogram()].observe(seconds)
        }
    }

    func failed(kind: String, retried: Bool) {
        values.withLock {
            $0.failed[kind, default: 0] += 1
            if retried { $0.retried[kind, default: 0] += 1 } else { $0.dead[kind, default: 0] += 1 }
        }
    }

    func pickedUp(queue: String, seconds: Double) {
        values.withLock { $0.pickup[queue, default: Histogram()].observe(max(0, seconds)) }
    }

    func rescued(_ n: Int) { values.withLock { $0.rescued += n } }
    func pruned(_ n: Int) { values.withLock { $0.pruned += n } }

    /// Jobs completed so far (all kinds).
    public var processedTotal: Int { values.withLock { $0.processed.values.reduce(0, +) } }
    public var failedTotal: Int { values.withLock { $0.failed.values.reduce(0, +) } }

    /// The counters and histograms as Prometheus text (without queue depths).
    public func text() -> String { render(depths: []) }

    /// Prometheus text format 0.0.4, with the queue depths read just before.
    func render(depths: [(queue: String, state: String, count: Int)]) -> String {
        let v = values.withLock { $0 }
        var out = ""
        func counter(_ name: String, _ help: String, _ values: [String: Int], label: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (key, value) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(label)=\"\(escape(key))\"} \(value)\n" }
        }
        func histogram(_ name: String, _ help: String, _ values: [String: Histogram], label: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (key, h) in values.sorted(by: { $0.key < $1.key }) {
                var cumulative = 0
                for (i, bound) in Self.bounds.enumerated() {
                    cumulative += h.counts[i]
                    out += "\(name)_bucket{\(label)=\"\(escape(key))\",le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "\(name)_bucket{\(label)=\"\(escape(key))\",le=\"+Inf\"} \(h.count)\n"
                out += "\(name)_sum{\(label)=\"\(escape(key))\"} \(h.sum)\n"
                out += "\(name)_count{\(label)=\"\(escape(key))\"} \(h.count)\n"
            }
        }
        counter("tongxin_jobs_processed_total", "Jobs completed by this worker.", v.processed, label: "kind")
        counter("tongxin_jobs_failed_total", "Job runs that failed.", v.failed, label: "kind")
        counter("tongxin_jobs_retried_total", "Failed runs that will be retried after a backoff.", v.retried, label: "kind")
        counter("tongxin_jobs_dead_total", "Jobs that used their last attempt.", v.dead, label: "kind")
        out += "# HELP tongxin_jobs_rescued_total Jobs whose lease expired, made available again.\n# TYPE tongxin_jobs_rescued_total counter\n"
        out += "tongxin_jobs_rescued_total \(v.rescued)\n"
        out += "# HELP tongxin_jobs_pruned_total Finished jobs deleted after the retention period.\n# TYPE tongxin_jobs_pruned_total counter\n"
        out += "tongxin_jobs_pruned_total \(v.pruned)\n"
        histogram("tongxin_job_duration_seconds", "Time a job's handler ran.", v.duration, label: "kind")
        histogram("tongxin_job_pickup_seconds", "From a job's due time to its start.", v.pickup, label: "queue")
        out += "# HELP tongxin_queue_depth Jobs in the queue by state.\n# TYPE tongxin_queue_depth gauge\n"
        for d in depths { out += "tongxin_queue_depth{queue=\"\(escape(d.queue))\",state=\"\(d.state)\"} \(d.count)\n" }
        return out
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

import CoreMetrics
import PostgresClient
import Prometheus
import Synchronization

/// The worker's metrics, through swift-metrics into a Prometheus registry of its own (one per
/// worker, so several workers in one process, as in the tests, keep theirs apart): jobs by
/// kind, run time and pickup latency as histograms, rescues and prunes; at each scrape also the
/// pool's connections and the queue's depth.
public final class JobRunnerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let meters = Mutex<[String: Meter]>([:])
    private let totals = Mutex<(processed: Int, failed: Int)>((0, 0))
    /// The queue depths' labels seen so far: a queue that empties shows 0, not its last count.
    private let depthLabels = Mutex<Set<[String]>>([])

    /// The duration histograms' buckets, 1 ms to 60 s (the web's too: one convention).
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        // Series that exist from the start.
        _ = counter("tongxin_jobs_rescued_total")
        _ = counter("tongxin_jobs_pruned_total")
    }

    private func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        ([name] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
    }

    private func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
        let key = key(name, dimensions)
        return counters.withLock { counters in
            if let known = counters[key] { return known }
            let made = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
            counters[key] = made
            return made
        }
    }

    private func meter(_ name: String, _ dimensions: [(String, String)] = []) -> Meter {
        let key = key(name, dimensions)
        return meters.withLock { meters in
            if let known = meters[key] { return known }
            let made = Meter(label: name, dimensions: dimensions, factory: factory)
            meters[key] = made
            return made
        }
    }

    /// A kind's series, made once (a job's metrics are then a dictionary lookup and the
    /// series' own updates).
    private struct KindSeries {
        let processed: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
    }

    private let kinds = Mutex<[String: KindSeries]>([:])
    private let pickups = Mutex<[String: CoreMetrics.Timer]>([:])

    private func series(_ kind: String) -> KindSeries {
        kinds.withLock { kinds in
            if let known = kinds[kind] { return known }
            let made = KindSeries(
                processed: CoreMetrics.Counter(label: "tongxin_jobs_processed_total", dimensions: [("kind", kind)], factory: factory),
                duration: CoreMetrics.Timer(label: "tongxin_job_duration_seconds", dimensions: [("kind", kind)], factory: factory))
            kinds[kind] = made
            return made
        }
    }

    func completed(kind: String, seconds: Double) {
        let series = series(kind)
        series.processed.increment()
        series.duration.recordSeconds(max(0, seconds))
        totals.withLock { $0.processed += 1 }
    }

    func failed(kind: String, retried: Bool) {
        counter("tongxin_jobs_failed_total", [("kind", kind)]).increment()
        counter(retried ? "tongxin_jobs_retried_total" : "tongxin_jobs_dead_total", [("kind", kind)]).increment()
        totals.withLock { $0.failed += 1 }
    }

    /// From a job's due time (or enqueue, when later) to its start, per queue.
    func pickedUp(queue: String, seconds: Double) {
        let timer = pickups.withLock { timers in
            if let known = timers[queue] { return known }
            let made = CoreMetrics.Timer(label: "tongxin_job_pickup_seconds", dimensions: [("queue", queue)], factory: factory)
            timers[queue] = made
            return made
        }
        timer.recordSeconds(max(0, seconds))
    }

    func rescued(_ n: Int) { counter("tongxin_jobs_rescued_total").increment(by: n) }
    func pruned(_ n: Int) { counter("tongxin_jobs_pruned_total").increment(by: n) }

    /// The pool's connections, as the pool counts them (no database round trip).
    func pool(_ statistics: PostgresPool.Statistics) {
        meter("tongxin_pool_connections", [("state", "open")]).set(statistics.open)
        meter("tongxin_pool_connections", [("state", "idle")]).set(statistics.idle)
        meter("tongxin_pool_waiting").set(statistics.waiting)
        meter("tongxin_pool_connections_created").set(statistics.created)
        meter("tongxin_pool_connections_discarded").set(statistics.discarded)
    }

    /// The queue's depth by queue and state, read just before a scrape; `nil`: the read did not
    /// answer in time (the last depths stay, `tongxin_queue_depth_fresh` says 0).
    func depths(_ depths: [(queue: String, state: String, count: Int)]?) {
        guard let depths else {
            meter("tongxin_queue_depth_fresh").set(0)
            return
        }
        let seen = Set(depths.map { [$0.queue, $0.state] })
        for old in depthLabels.withLock({ $0 }).subtracting(seen) where old.count == 2 {
            meter("tongxin_queue_depth", [("queue", old[0]), ("state", old[1])]).set(0)
        }
        depthLabels.withLock { $0.formUnion(seen) }
        for d in depths { meter("tongxin_queue_depth", [("queue", d.queue), ("state", d.state)]).set(d.count) }
        meter("tongxin_queue_depth_fresh").set(1)
    }

    /// Jobs completed so far (all kinds).
    public var processedTotal: Int { totals.withLock { $0.processed } }
    public var failedTotal: Int { totals.withLock { $0.failed } }

    /// Prometheus text format 0.0.4.
    public func text() -> String { registry.emitToString() }
}

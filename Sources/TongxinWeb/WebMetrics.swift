import CoreMetrics
import Prometheus
import Synchronization
import TongxinWorker

/// The web's metrics, the worker's way (swift-metrics into a Prometheus registry of its own):
/// requests by route and status, and their durations as a histogram.
final class WebMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let series = Mutex<[String: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = JobRunnerMetrics.durationBuckets
        self.factory = factory
    }

    func record(route: String, status: Int, duration: Duration) {
        let key = "\(route) \(status)"
        let (counter, timer) = series.withLock { series in
            if let known = series[key] { return known }
            let made = (
                CoreMetrics.Counter(label: "tongxin_web_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory),
                CoreMetrics.Timer(label: "tongxin_web_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            )
            series[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Prometheus text format 0.0.4.
    func text() -> String { registry.emitToString() }
}

/// The member's or unit's name of an account in a county, kept a minute (a page shows it and
/// decides the forms by it; a rename shows within a minute). Every step still checks
/// ownership in the store itself.
final class NameCache: Sendable {
    private let entries = Mutex<[String: (name: String?, until: ContinuousClock.Instant)]>([:])
    static let lifetime = Duration.seconds(60)

    func name(_ key: String, _ load: () async throws -> String?) async throws -> String? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[key] }), hit.until > now { return hit.name }
        let name = try await load()
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = (name, now + Self.lifetime)
        }
        return name
    }
}

import CountiesTestSupport
import Foundation
import JobQueue
import Logging
import PostgresClient
import Synchronization
import Testing
@testable import TongxinWorker

/// `/metrics` and `/healthz` through the worker's own route table (`WorkerService.routes`),
/// over HTTP.
@Suite struct MetricsEndpointTests {
    @Test func theRoutesServePrometheusTextHealthAndRefuseTheRest() async throws {
        try await withQueue { configuration, pool in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let worker = JobRunner(configuration: configuration, worker: JobRunnerConfiguration(concurrency: 1), handlers: [NoopHandler()], logger: logger)
            try await pool.withConnection { c in try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop"), count: 3), on: c) }
            let server = try MetricsServer(host: "127.0.0.1", port: 0, respond: WorkerService.routes(worker))
            server.start()
            defer { server.stop() }
            let base = "http://127.0.0.1:\(server.port)"
            // Before the runners have reached the database: not healthy yet.
            #expect(try await get(base + "/healthz") == "database unreachable\n")
            let running = Task { try await worker.run() }
            while worker.metrics.processedTotal < 3 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await get(base + "/healthz") == "ok\n")
            let metrics = try await get(base + "/metrics")
            #expect(metrics.contains("# TYPE tongxin_jobs_processed_total counter\n"))
            #expect(metrics.contains("tongxin_jobs_processed_total{kind=\"noop\"} 3\n"))
            #expect(metrics.contains("tongxin_job_pickup_seconds_count{queue=\"default\"} 3\n"))
            #expect(metrics.contains("tongxin_queue_depth_fresh 1.0\n"))
            #expect(metrics.contains("tongxin_pool_connections{state=\"open\"}"))
            #expect(try await get(base + "/nothing") == "not found: /metrics or /healthz\n")
            worker.stop()
            try await running.value
        }
    }

    @Test func aScrapeWithAStuckDatabaseAnswersInTimeAndHealthNeverWaits() async throws {
        try await withQueue { configuration, pool in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let worker = JobRunner(configuration: configuration, worker: JobRunnerConfiguration(concurrency: 1), handlers: [NoopHandler()], logger: logger)
            let server = try MetricsServer(host: "127.0.0.1", port: 0, respond: WorkerService.routes(worker, scrapeTimeout: .seconds(1)))
            server.start()
            defer { server.stop() }
            let base = "http://127.0.0.1:\(server.port)"
            // The queue's table locked: the depth read waits for as long as the lock is held.
            let locked = Mutex(false)
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await PostgresConnection.withConnection(configuration: configuration) { c in
                    try await c.withTransaction { tx in
                        try await tx.query("LOCK TABLE tongxin.job IN ACCESS EXCLUSIVE MODE")
                        locked.withLock { $0 = true }
                        for await _ in release.stream { break }
                    }
                }
            }
            while !locked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            let finished = Mutex<[String]>([])
            let scrape = Task {
                let text = try await get(base + "/metrics")
                finished.withLock { $0.append("metrics") }
                return text
            }
            try await Task.sleep(for: .milliseconds(200))
            let health = try await get(base + "/healthz")
            finished.withLock { $0.append("healthz") }
            let text = try await scrape.value
            // The lock is still held: the scrape answered from its timeout, with stale depths.
            #expect(locked.withLock { $0 })
            #expect(finished.withLock { $0 } == ["healthz", "metrics"], "/healthz answered while the scrape waited")
            #expect(health == "database unreachable\n")
            #expect(text.contains("tongxin_queue_depth_fresh 0.0\n"))
            // The timed-out read was cancelled: the next scrape, the database still stuck, answers
            // in time too (a read left waiting would hold it: one read at a time).
            #expect(try await get(base + "/metrics").contains("tongxin_queue_depth_fresh 0.0\n"))
            release.continuation.yield()
            release.continuation.finish()
            try await holder.value
            // Once the database answers, the depths are fresh again.
            var fresh = false
            for _ in 0..<100 where !fresh {
                fresh = try await get(base + "/metrics").contains("tongxin_queue_depth_fresh 1.0\n")
                if !fresh { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(fresh)
            await worker.close()
        }
    }
}

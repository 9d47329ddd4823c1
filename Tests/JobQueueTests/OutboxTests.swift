import Foundation
import JobQueue
import Logging
import PostgresClient
import PostgresTestSupport
import Synchronization
import Testing
@testable import TongxinWorker

/// A local HTTP server that records what it receives and answers with the statuses given.
final class WebhookReceiver: Sendable {
    final class Log: Sendable {
        let list = Mutex<[MetricsServer.HTTPRequest]>([])
    }

    let server: MetricsServer
    let log = Log()
    /// What arrived so far.
    var received: [MetricsServer.HTTPRequest] { log.list.withLock { $0 } }

    init(statuses: [String]) throws {
        let log = self.log
        server = try MetricsServer(host: "127.0.0.1", port: 0) { request in
            let n = log.list.withLock { list in
                list.append(request)
                return list.count
            }
            return (statuses[min(n, statuses.count) - 1], "text/plain", "ok\n")
        }
        server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)/hook" }
}

@Suite struct OutboxTests {
    @Test func aWebhookDeliveryCarriesItsIdempotencyKeyAndIsRetriedAfterAFailure() async throws {
        try await withQueue { configuration, pool in
            let receiver = try WebhookReceiver(statuses: ["500 Internal Server Error", "200 OK"])
            defer { receiver.server.stop() }
            let key = "leiyang:deadline:1:2:1:2021-06-10:remind-15"
            try await pool.query("""
                INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at)
                VALUES ('leiyang', 'deadline.remind', '城管局', '2021-001', '请按时答复。', \(key), '2021-05-26 09:00+08')
                """)
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "notification.deliver", county: "leiyang", args: "{\"key\": \"\(key)\"}", queue: "notify")], on: c)
            }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let sink = try WebhookSink(url: receiver.url)
            let worker = JobWorker(configuration: configuration, worker: WorkerConfiguration(concurrency: 1), handlers: [], logger: logger)
            let handlers = Worker.handlers(pool: worker.pool, sink: sink)
            let delivering = JobWorker(pool: worker.pool, worker: WorkerConfiguration(concurrency: 1), handlers: handlers, logger: logger)
            let start = Date()
            #expect(try await delivering.runDue(asOf: start) == 1)
            // The failure waits for its backoff (about a second on the same clock); then the
            // delivery succeeds.
            #expect(try await delivering.runDue(asOf: start) == 0)
            #expect(try await delivering.runDue(asOf: start.addingTimeInterval(10)) == 1)
            await delivering.close()
            let received = receiver.received
            #expect(received.count == 2)
            #expect(received.map { $0.headers["idempotency-key"] } == [key, key])
            #expect(received.allSatisfy { $0.method == "POST" && $0.path == "/hook" })
            let body = try JSONSerialization.jsonObject(with: Data(received[1].body.utf8)) as? [String: Any]
            #expect(body?["recipient"] as? String == "城管局")
            #expect(body?["idempotency_key"] as? String == key)
            #expect(body?["created_at"] as? String == "2021-05-26T09:00:00+08:00")
            let (state, channel) = try await pool.query("SELECT state, channel FROM tongxin.notification").single().decode((String, String?).self)
            #expect(state == "delivered" && channel == "webhook")
            let job = try await pool.withConnection { try await JobQueue.list(JobQueue.Filter(), on: $0) }
            #expect(job.map(\.state) == ["completed"])
            #expect(job.map(\.attempt) == [2])
        }
    }

    @Test func aDeliveredNotificationIsNotSentAgain() async throws {
        try await withQueue { configuration, pool in
            let receiver = try WebhookReceiver(statuses: ["200 OK"])
            defer { receiver.server.stop() }
            try await pool.query("""
                INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at, state)
                VALUES ('leiyang', 'deadline.remind', '城管局', '2021-001', '请按时答复。', 'k1', now(), 'delivered')
                """)
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "notification.deliver", county: "leiyang", args: #"{"key": "k1"}"#, queue: "notify")], on: c)
            }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let pool2 = JobWorker.pool(configuration, WorkerConfiguration(concurrency: 1), logger)
            let worker = JobWorker(pool: pool2, worker: WorkerConfiguration(concurrency: 1),
                                   handlers: Worker.handlers(pool: pool2, sink: try WebhookSink(url: receiver.url)), logger: logger)
            #expect(try await worker.runDue(asOf: Date()) == 1)
            await worker.close()
            #expect(receiver.received.isEmpty)
        }
    }

    @Test func theMetricsEndpointServesPrometheusTextAndHealth() async throws {
        try await withQueue { configuration, pool in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let worker = JobWorker(configuration: configuration, worker: WorkerConfiguration(concurrency: 1), handlers: [NoopHandler()], logger: logger)
            try await pool.withConnection { c in try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop"), count: 3), on: c) }
            let running = Task { try await worker.run() }
            while worker.metrics.processedTotal < 3 { try await Task.sleep(for: .milliseconds(20)) }
            let server = try MetricsServer(host: "127.0.0.1", port: 0) { request in
                switch request.path {
                case "/healthz": return worker.isHealthy ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", "no\n")
                default: return ("200 OK", "text/plain", worker.metrics.text())
                }
            }
            server.start()
            defer { server.stop() }
            let health = try await get("http://127.0.0.1:\(server.port)/healthz")
            #expect(health == "ok\n")
            let metrics = try await get("http://127.0.0.1:\(server.port)/metrics")
            #expect(metrics.contains("tongxin_jobs_processed_total{kind=\"noop\"} 3\n"))
            worker.stop()
            try await running.value
        }
    }
}

/// GET over a plain socket (HTTP/1.0), the body.
func get(_ url: String) async throws -> String {
    try await offCooperativePool {
        guard let parsed = URL(string: url), let port = parsed.port else { return "" }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let request = Array("GET \(parsed.path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        return text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }
}

import Counties
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import JobQueue
public import Logging
import PostgresClient
import Synchronization
import WorkflowStore
import TongxinBase

/// Where notifications go. Delivery is at least once: a sink may see a notification again
/// (after a worker was killed between delivering and recording it), always with the same
/// idempotency key.
public protocol NotificationSink: Sendable {
    /// `log`, `file` or `webhook` (recorded on the notification).
    var channel: String { get }
    func deliver(_ notification: OutboxNotification) async throws
}

/// The default: each notification as one line in the worker's log.
public struct LogSink: NotificationSink {
    let logger: Logger
    public init(logger: Logger) { self.logger = logger }
    public var channel: String { "log" }
    public func deliver(_ notification: OutboxNotification) async throws {
        logger.info("notification \(notification.kind) to \(notification.recipient): \(notification.message)", metadata: [
            "notification.key": "\(notification.idempotencyKey)", "notification.county": "\(notification.county)",
        ])
    }
}

/// One JSON object per line appended to a file.
public final class FileSink: NotificationSink {
    let path: String
    private let lock = Mutex(())

    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw JobError("notifications: cannot create \(path)")
            }
        }
    }

    public var channel: String { "file" }

    public func deliver(_ notification: OutboxNotification) async throws {
        let line = Data((notification.json() + "\n").utf8)
        try lock.withLock { _ in
            guard let handle = FileHandle(forWritingAtPath: path) else { throw JobError("notifications: cannot open \(path)") }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        }
    }
}

/// An HTTP POST of the notification's JSON, with an `Idempotency-Key` header; anything but a
/// 2xx answer fails the delivery, which is retried with backoff.
public struct WebhookSink: NotificationSink {
    let url: URL
    let timeout: TimeInterval

    public init(url: String, timeout: TimeInterval = 10) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host != nil
        else { throw JobError("--webhook-url: \"\(url.prefix(80))\" is not an http(s) URL") }
        self.url = parsed
        self.timeout = timeout
    }

    public var channel: String { "webhook" }

    public func deliver(_ notification: OutboxNotification) async throws {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue(notification.idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(notification.json().utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw JobError("webhook: no HTTP response") }
        guard (200..<300).contains(http.statusCode) else { throw JobError("webhook: HTTP \(http.statusCode) from \(url.host ?? "")") }
    }
}

/// `notification.deliver`: sends one notification through the sink, then records it as
/// delivered. Not in a transaction with the sending (a webhook cannot roll back): a worker
/// killed in between delivers it again, with the same idempotency key.
struct DeliveryHandler: JobHandler {
    let sink: any NotificationSink
    var kind: String { WorkflowJobs.deliver }
    var transactional: Bool { false }

    struct Arguments: Decodable { var key: String }

    func run(_ job: Job, _ context: JobContext) async throws {
        let key: String
        do { key = try job.arguments(Arguments.self).key } catch { throw PermanentJobError("\(error)") }
        guard let notification = try await Outbox.undelivered(key: key, on: context.connection) else { return }
        try await sink.deliver(notification)
        try await Outbox.markDelivered(id: notification.id, channel: sink.channel, on: context.connection)
    }
}

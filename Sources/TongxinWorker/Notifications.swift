import Counties
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JobQueue
public import Logging
import PostgresClient
import Synchronization
import WorkflowStore
import TongxinBase

/// A notification from the outbox, as sinks deliver it.
public struct OutboxNotification: Sendable, Hashable, Codable {
    public let id: Int64
    public let county: String
    public let kind: String
    public let recipient: String
    public let subject: String
    public let message: String
    public let idempotencyKey: String
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, county, kind, recipient, subject, message
        case idempotencyKey = "idempotency_key"
        case createdAt = "created_at"
    }

    /// The JSON a sink writes or posts (times in local ISO 8601).
    public func json() -> String {
        let fields: [(String, String)] = [
            ("id", String(id)), ("idempotency_key", quoted(idempotencyKey)), ("county", quoted(county)), ("kind", quoted(kind)),
            ("recipient", quoted(recipient)), ("subject", quoted(subject)), ("message", quoted(message)),
            ("created_at", quoted(LocalTime.iso(createdAt))),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

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
        let control = CountyRegistry.controlSchema
        let rows = try await context.connection.query("""
            SELECT id, county, kind, recipient, subject, message, idempotency_key, created_at, state
            FROM \(identifier: control).notification WHERE idempotency_key = \(key)
            """)
        guard let row = rows.first else { return }
        let (id, county, kind, recipient, subject, message, idempotencyKey, createdAt, state) =
            try row.decode((Int64, String, String, String, String, String, String, Date, String).self)
        guard state != "delivered" else { return }
        let notification = OutboxNotification(
            id: id, county: county, kind: kind, recipient: recipient, subject: subject, message: message,
            idempotencyKey: idempotencyKey, createdAt: createdAt)
        try await sink.deliver(notification)
        try await context.connection.query("""
            UPDATE \(identifier: control).notification
            SET state = 'delivered', delivered_at = now(), attempts = attempts + 1, channel = \(sink.channel)
            WHERE id = \(id)
            """)
    }
}

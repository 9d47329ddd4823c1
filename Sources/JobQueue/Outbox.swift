public import Foundation
public import PostgresClient
import TongxinBase

/// A notification in the outbox, as sinks deliver it and `tongxin notifications list` shows it.
public struct OutboxNotification: Sendable, Hashable, Codable {
    public let id: Int64
    public let county: String
    public let kind: String
    public let recipient: String
    public let subject: String
    public let message: String
    public let idempotencyKey: String
    public let createdAt: Date

    public init(
        id: Int64, county: String, kind: String, recipient: String, subject: String, message: String, idempotencyKey: String,
        createdAt: Date
    ) {
        self.id = id
        self.county = county
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.message = message
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, county, kind, recipient, subject, message
        case idempotencyKey = "idempotency_key"
        case createdAt = "created_at"
    }

    /// The JSON a sink writes or posts (times in local ISO 8601).
    public func json() -> String {
        let fields: [(String, String)] = [
            ("id", String(id)), ("idempotency_key", JSONText.string(idempotencyKey)), ("county", JSONText.string(county)),
            ("kind", JSONText.string(kind)), ("recipient", JSONText.string(recipient)), ("subject", JSONText.string(subject)),
            ("message", JSONText.string(message)), ("created_at", JSONText.string(LocalTime.iso(createdAt))),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// The notification outbox in the control schema, and its one owner: the workflow's watchers
/// add to it (with the step that decides), the delivery job reads and marks it, the CLI and
/// the demo read it. Nobody else writes its SQL.
public enum Outbox {
    /// The job kind that delivers one notification.
    public static let deliverKind = "notification.deliver"

    /// The queue deliveries run on.
    public static let queue = "notify"

    private static var table: PostgresQuery { "\(identifier: JobQueue.schema).notification" }

    /// The statement that adds a notification (once per idempotency key: a second add is
    /// ignored) and the job that delivers it; both must commit with the step that decided it.
    public static func add(
        county: String, kind: String, recipient: String, subject: String, message: String, key: String, at time: Date
    ) throws -> (statement: PostgresQuery, delivery: NewJob) {
        let statement: PostgresQuery = """
            INSERT INTO \(fragment: table) (county, kind, recipient, subject, message, idempotency_key, created_at)
            VALUES (\(county), \(kind), \(String(recipient.prefix(100))), \(subject), \(String(message.prefix(2000))), \(key), \(time))
            ON CONFLICT (idempotency_key) DO NOTHING
            """
        let delivery = try NewJob(
            kind: deliverKind, county: county, args: JSONText.object(["key": key]), queue: queue, runAt: time, maxAttempts: 20,
            dedupeKey: "deliver:\(key)"
        ).validated()
        return (statement, delivery)
    }

    /// The notification with `key` unless it was delivered already (or is unknown).
    public static func undelivered(key: String, on connection: PostgresConnection) async throws -> OutboxNotification? {
        let rows = try await connection.query("""
            SELECT id, county, kind, recipient, subject, message, idempotency_key, created_at, state
            FROM \(fragment: table) WHERE idempotency_key = \(key)
            """)
        guard let row = rows.first else { return nil }
        let (id, county, kind, recipient, subject, message, idempotencyKey, createdAt, state) =
            try row.decode((Int64, String, String, String, String, String, String, Date, String).self)
        guard state != State.delivered.rawValue else { return nil }
        return OutboxNotification(
            id: id, county: county, kind: kind, recipient: recipient, subject: subject, message: message,
            idempotencyKey: idempotencyKey, createdAt: createdAt)
    }

    /// Records a notification as delivered through `channel`.
    public static func markDelivered(id: Int64, channel: String, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE \(fragment: table)
            SET state = 'delivered', delivered_at = now(), attempts = attempts + 1, channel = \(channel)
            WHERE id = \(id)
            """)
    }

    public enum State: String, Sendable, CaseIterable {
        case pending, delivered
    }

    /// A notification with its delivery state.
    public struct Entry: Sendable, Hashable {
        public let notification: OutboxNotification
        public let state: State
        /// `log`, `file`, `webhook` or `smtp` once delivered.
        public let channel: String?
    }

    /// Notifications, newest first, by any of county, kind, state and subject.
    public static func list(
        county: String? = nil, kind: String? = nil, state: State? = nil, subject: String? = nil, limit: Int = 100,
        on connection: PostgresConnection
    ) async throws -> [Entry] {
        let stateName = state?.rawValue
        let rows = try await connection.query("""
            SELECT id, county, kind, recipient, subject, message, idempotency_key, created_at, state, channel
            FROM \(fragment: table)
            WHERE (\(county)::text IS NULL OR county = \(county)) AND (\(kind)::text IS NULL OR kind = \(kind))
              AND (\(stateName)::text IS NULL OR state = \(stateName)) AND (\(subject)::text IS NULL OR subject = \(subject))
            ORDER BY created_at DESC, id DESC LIMIT \(max(1, min(limit, 100_000)))
            """).decode((Int64, String, String, String, String, String, String, Date, String, String?).self)
        return rows.map { row in
            Entry(
                notification: OutboxNotification(
                    id: row.0, county: row.1, kind: row.2, recipient: row.3, subject: row.4, message: row.5, idempotencyKey: row.6,
                    createdAt: row.7),
                state: State(rawValue: row.8) ?? .pending, channel: row.9)
        }
    }

    /// A county's notifications counted by kind (kinds in order).
    public static func countsByKind(county: String, on connection: PostgresConnection) async throws -> [(kind: String, count: Int)] {
        try await connection.query("""
            SELECT kind, count(*) FROM \(fragment: table) WHERE county = \(county) GROUP BY kind ORDER BY kind
            """).decode((String, Int).self).map { (kind: $0.0, count: $0.1) }
    }

    /// Notifications of a kind, of every county.
    public static func count(kind: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \(fragment: table) WHERE kind = \(kind)").single().decode(Int.self)
    }

    /// Notifications not yet delivered, of every county.
    public static func pendingCount(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \(fragment: table) WHERE state <> 'delivered'").single().decode(Int.self)
    }
}

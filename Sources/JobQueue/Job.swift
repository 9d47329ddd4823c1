public import Foundation
import PostgresClient

/// A job to enqueue. `county` is the county code the job works for (nil: the deployment).
public struct NewJob: Sendable, Hashable {
    public var kind: String
    public var county: String?
    /// A JSON object (text); handlers decode it.
    public var args: String
    public var queue: String
    public var priority: Int16
    /// Not before this time; nil: at once (the enqueuing transaction's time).
    public var runAt: Date?
    public var maxAttempts: Int
    /// At most one job per key (until finished jobs are pruned): a second enqueue is ignored.
    public var dedupeKey: String?

    public init(
        kind: String, county: String? = nil, args: String = "{}", queue: String = "default", priority: Int16 = 0,
        runAt: Date? = nil, maxAttempts: Int = 10, dedupeKey: String? = nil
    ) {
        self.kind = kind
        self.county = county
        self.args = args
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.dedupeKey = dedupeKey
    }

    /// A job whose arguments are an Encodable value.
    public init<Args: Encodable>(
        kind: String, county: String? = nil, arguments: Args, queue: String = "default", priority: Int16 = 0,
        runAt: Date? = nil, maxAttempts: Int = 10, dedupeKey: String? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(arguments), as: UTF8.self)
        self.init(kind: kind, county: county, args: text, queue: queue, priority: priority, runAt: runAt,
                  maxAttempts: maxAttempts, dedupeKey: dedupeKey)
    }

    /// Checks the fields the table's constraints would refuse, with one clear line.
    public func validated() throws -> NewJob {
        try JobName.check(kind, field: "kind", pattern: .kind)
        try JobName.check(queue, field: "queue", pattern: .queue)
        if let county { try JobName.check(county, field: "county", pattern: .county) }
        guard (1...100).contains(maxAttempts) else { throw JobError("max attempts: \(maxAttempts), use 1 to 100") }
        if let dedupeKey, !(1...200).contains(dedupeKey.unicodeScalars.count) {
            throw JobError("dedupe key: use 1 to 200 characters")
        }
        return self
    }
}

/// A claimed job, as a handler sees it.
public struct Job: Sendable, Hashable {
    public let id: Int64
    public let queue: String
    public let kind: String
    public let county: String?
    /// The arguments: a JSON object as text.
    public let args: String
    /// This run's number: 1 the first time.
    public let attempt: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let createdAt: Date
    /// When it was scheduled for: its run time, unless a failure's backoff or a retry moved
    /// that (a watcher does what was due since then).
    public let scheduledAt: Date

    public init(
        id: Int64, queue: String, kind: String, county: String?, args: String, attempt: Int, maxAttempts: Int, runAt: Date, createdAt: Date,
        scheduledAt: Date? = nil
    ) {
        self.scheduledAt = scheduledAt ?? runAt
        self.id = id
        self.queue = queue
        self.kind = kind
        self.county = county
        self.args = args
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.createdAt = createdAt
    }

    /// The arguments decoded.
    public func arguments<Args: Decodable>(_ type: Args.Type) throws -> Args {
        do {
            return try JSONDecoder().decode(type, from: Data(args.utf8))
        } catch {
            throw JobError("job \(id) (\(kind)): arguments do not fit: \(error)")
        }
    }
}

/// A job's state in the table.
public enum JobState: String, Sendable, CaseIterable {
    case available, running, completed, cancelled, dead
}

/// A job as `jobs list` shows it.
public struct JobRecord: Sendable, Hashable {
    public let id: Int64
    public let queue: String
    public let kind: String
    public let county: String?
    public let state: String
    public let attempt: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let dedupeKey: String?
    public let worker: String?
    public let lastError: String?
    public let createdAt: Date
    public let finishedAt: Date?
}

/// A failure about jobs, on one line.
public struct JobError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Names of queues and kinds, and county codes, as the table's CHECKs accept them.
enum JobName {
    enum Pattern {
        case queue, kind, county
    }

    static func check(_ value: String, field: String, pattern: Pattern) throws {
        let bytes = Array(value.utf8)
        func lower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
        func digit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        let ok: Bool
        switch pattern {
        case .queue:
            ok = (1...40).contains(bytes.count) && lower(bytes[0]) && bytes.allSatisfy { lower($0) || digit($0) || $0 == 95 || $0 == 45 }
        case .kind:
            ok = (1...60).contains(bytes.count) && lower(bytes[0])
                && bytes.allSatisfy { lower($0) || digit($0) || $0 == 95 || $0 == 45 || $0 == 46 }
        case .county:
            ok = (2...31).contains(bytes.count) && lower(bytes[0]) && bytes.allSatisfy { lower($0) || digit($0) || $0 == 95 }
        }
        guard ok else { throw JobError("\(field): \"\(value.prefix(60))\" is not a valid \(field) name") }
    }
}

/// How long a failed job waits before its next attempt: exponential (1 s, 2 s, 4 s … capped at
/// one hour) with ±25 % jitter so that jobs failing together do not retry together.
public enum Backoff {
    public static let cap: Double = 3600

    /// The delay in seconds before attempt `attempt + 1`, for a `jitter` in 0..<1.
    public static func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let base = min(cap, pow(2, exponent))
        return base * (0.75 + 0.5 * max(0, min(jitter, 1)))
    }

    public static func delay(afterAttempt attempt: Int) -> Double {
        delay(afterAttempt: attempt, jitter: Double.random(in: 0..<1))
    }
}

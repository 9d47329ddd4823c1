import CLibPQ

/// A NOTIFY received on a channel this connection listens on.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The backend that sent it.
    public var processID: Int32
}

extension ConnectionCore {
    func nextNotification(timeout: Duration?) throws -> PostgresNotification? {
        let pg = try requireOpen()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            guard PQconsumeInput(pg) == 1 else { throw connectionError() }
            if let raw = PQnotifies(pg) {
                defer { PQfreemem(raw) }
                let n = raw.pointee
                return PostgresNotification(
                    channel: n.relname.map { String(cString: $0) } ?? "",
                    payload: n.extra.map { String(cString: $0) } ?? "",
                    processID: n.be_pid)
            }
            let ready = try wait(socket: PQsocket(pg), read: true, write: false, deadline: deadline, mode: .stopWaiting)
            if !ready { return nil }
        }
    }
}

extension PostgresConnection {
    /// `LISTEN channel`.
    public func listen(_ channel: PostgresIdentifier) async throws {
        try await query(PostgresQuery(unsafeSQL: "LISTEN \(channel.quoted)"))
    }

    /// `UNLISTEN channel`.
    public func unlisten(_ channel: PostgresIdentifier) async throws {
        try await query(PostgresQuery(unsafeSQL: "UNLISTEN \(channel.quoted)"))
    }

    /// `pg_notify(channel, payload)`: delivered when the current transaction commits.
    public func notify(_ channel: PostgresIdentifier, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel.name), \(payload))")
    }

    /// Waits for the next notification without polling: the connection's thread sleeps on the
    /// socket. Returns nil when `timeout` passes first; cancelling the task stops the wait.
    /// Notifications that arrived earlier (even during other statements) are returned first.
    public func nextNotification(timeout: Duration? = nil) async throws -> PostgresNotification? {
        try await perform { core in try core.nextNotification(timeout: timeout) }
    }
}

import CLibPQ
public import Logging
import Synchronization

/// One connection to PostgreSQL over libpq.
///
/// Its libpq handle lives on a thread of its own; operations are queued there one at a time, so
/// a connection is safe to share, but statements of two tasks would interleave — use
/// ``PostgresPool`` and its scoped checkout to give each task a connection of its own.
/// Cancelling the calling task cancels the running statement on the server.
public final class PostgresConnection: Sendable {
    let core: ConnectionCore
    private let operations = Atomic<UInt64>(0)
    private let closed = Atomic<Bool>(false)
    private let discardRequested = Atomic<Bool>(false)
    public let logger: Logger
    /// The server's version as a number, e.g. 150018 for 15.18.
    public let serverVersion: Int
    /// The backend process id (for pg_stat_activity, pg_terminate_backend).
    public let backendPID: Int32
    /// When the connection was opened.
    public let openedAt: ContinuousClock.Instant
    /// True behind a transaction pooler (detected at connect: pgbouncer gives the client a
    /// backend pid of its own) or with `statement_cache=off`: each transaction may run on
    /// another server connection, so nothing may rely on session state across transactions
    /// (session SETs, session advisory locks, LISTEN, named statements).
    public let isPooled: Bool

    /// The thread this connection's libpq calls run on; a task may prefer it
    /// (`withTaskExecutorPreference`) to run between statements without thread hops.
    public var executor: any TaskExecutor { core.thread }

    /// True when the caller runs on this connection's thread (inside `PostgresPool.withConnection`,
    /// or under `withTaskExecutorPreference(connection.executor)`): statements then run inline.
    public var isOnConnectionThread: Bool { core.thread.isCurrent }

    private init(core: ConnectionCore, logger: Logger, serverVersion: Int, backendPID: Int32, isPooled: Bool) {
        self.core = core
        self.logger = logger
        self.serverVersion = serverVersion
        self.backendPID = backendPID
        self.isPooled = isPooled
        self.openedAt = .now
    }

    deinit {
        if !closed.load(ordering: .acquiring) {
            let core = self.core
            core.thread.submit { core.finish() }
            core.thread.shutdown()
        }
    }

    /// Opens a connection. A failure carries libpq's reason on one line; nothing is leaked.
    public static func connect(
        configuration: PostgresConfiguration = PostgresConfiguration(),
        logger: Logger = Logger(label: "tongxin.postgres")
    ) async throws -> PostgresConnection {
        let thread = try ConnectionThread(name: "pg")
        let core = ConnectionCore(thread: thread, cacheCapacity: configuration.statementCacheCapacity, logger: logger)
        let operation: UInt64 = 1
        do {
            let (version, pid, pooled) = try await withTaskCancellationHandler {
                try await run(on: core, operation: operation) { core -> (Int, Int32, Bool) in
                    try core.connect(configuration)
                    let pg = try core.requireOpen()
                    return (Int(PQserverVersion(pg)), PQbackendPID(pg), core.isPooled)
                }
            } onCancel: {
                core.requestCancel(operation: operation)
            }
            let connection = PostgresConnection(core: core, logger: logger, serverVersion: version, backendPID: pid, isPooled: pooled)
            connection.operations.store(operation, ordering: .relaxed)
            logger.debug("connected", metadata: ["db.backend_pid": "\(pid)", "db.server_version": "\(version)"])
            return connection
        } catch {
            thread.submit { core.finish() }
            thread.shutdown()
            throw error
        }
    }

    /// Opens a connection for `body` and closes it afterwards, also when `body` throws.
    @discardableResult
    public static func withConnection<R: Sendable>(
        configuration: PostgresConfiguration = PostgresConfiguration(),
        logger: Logger = Logger(label: "tongxin.postgres"),
        _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        let connection = try await connect(configuration: configuration, logger: logger)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body` on the connection's thread, inline when already there.
    private static func run<R: Sendable>(
        on core: ConnectionCore, operation: UInt64, _ body: @escaping @Sendable (ConnectionCore) throws -> R
    ) async throws -> R {
        if core.thread.isCurrent {
            try core.begin(operation: operation)
            defer { core.end() }
            return try body(core)
        }
        return try await withCheckedThrowingContinuation { continuation in
            core.thread.submit {
                continuation.resume(with: Result {
                    try core.begin(operation: operation)
                    defer { core.end() }
                    return try body(core)
                })
            }
        }
    }

    /// Runs one libpq operation on the connection's thread; cancelling the task cancels it.
    func perform<R: Sendable>(_ body: @escaping @Sendable (ConnectionCore) throws -> R) async throws -> R {
        if closed.load(ordering: .acquiring) {
            throw PostgresError(kind: .connectionClosed, message: "connection is closed")
        }
        try Task.checkCancellation()
        let operation = operations.add(1, ordering: .relaxed).newValue
        let core = self.core
        defer { core.forget(operation: operation) }
        return try await withTaskCancellationHandler {
            try await Self.run(on: core, operation: operation, body)
        } onCancel: {
            core.requestCancel(operation: operation)
        }
    }

    /// Like `perform`, for clean-up that must run even in a cancelled task.
    func performIgnoringCancellation<R: Sendable>(_ body: @escaping @Sendable (ConnectionCore) throws -> R) async throws -> R {
        if closed.load(ordering: .acquiring) {
            throw PostgresError(kind: .connectionClosed, message: "connection is closed")
        }
        let operation = operations.add(1, ordering: .relaxed).newValue
        return try await Self.run(on: core, operation: operation, body)
    }

    // MARK: Statements

    /// Runs one statement and returns its rows (empty for commands).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        logger.trace("query", metadata: ["db.statement": "\(query)"])
        return try await perform { core in try core.execute(query) }
    }

    /// Runs one statement and returns the number of rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Escape hatch for scripts (migrations): several statements separated by semicolons, sent
    /// as they are with the simple-query protocol and no bind values. Never build `sql` from input.
    /// Returns the last statement's rows.
    @discardableResult
    public func executeUnsafeScript(_ sql: String) async throws -> PostgresRows {
        try await perform { core in try core.executeSimple(sql) }
    }

    /// Runs each of `statements` as a query string of its own, without bind values and without
    /// preparing them, all in one round trip (pipeline mode; one implicit transaction outside an
    /// explicit one). For DDL: Citus sends a DDL statement on to its workers with the whole
    /// string it came in, and they refuse a string of several statements.
    public func executeUnsafeStatements(_ statements: [String]) async throws {
        if statements.isEmpty { return }
        let queries = statements.map { PostgresQuery(unsafeSQL: $0) }
        _ = try await perform { core in try core.runPipeline(queries, prepare: false) }
    }

    /// Sends all `queries` in one round trip (pipeline mode) and returns their rows in order.
    /// They run as one implicit transaction unless a transaction is open: if one fails, the
    /// first error is thrown and none of them has any effect.
    public func pipeline(_ queries: [PostgresQuery]) async throws -> [PostgresRows] {
        if queries.isEmpty { return [] }
        return try await perform { core in try core.runPipeline(queries) }
    }

    // MARK: State

    /// False once closed or after the connection broke.
    public var isOpen: Bool {
        get async {
            if closed.load(ordering: .acquiring) { return false }
            return (try? await perform { core in core.isOpen }) ?? false
        }
    }

    /// Prepared statements currently cached on this connection.
    public var cachedStatementCount: Int {
        get async throws { try await perform { core in core.cache.count } }
    }

    /// Checks, without a round trip, that the server has not closed the connection: an idle
    /// connection has nothing to read unless the server hung up (or sent a notification).
    func isHealthy() async -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        // Ignoring cancellation: a cancelled borrower must not make a good connection look bad.
        return (try? await performIgnoringCancellation { core -> Bool in
            guard let pg = core.pg, PQstatus(pg) == CONNECTION_OK else { return false }
            guard PQtransactionStatus(pg) == PQTRANS_IDLE else { return false }
            // Read everything pending: a server that hung up sent a FATAL message and then EOF,
            // and only the read that meets EOF marks the connection bad.
            var descriptor = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
            while poll(&descriptor, 1, 0) > 0 {
                if PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK { return false }
                if descriptor.revents & Int16(POLLHUP | POLLERR) != 0 { return false }
                descriptor.revents = 0
            }
            core.ensureSessionFormats()
            return PQstatus(pg) == CONNECTION_OK
        }) ?? false
    }

    /// Asks the pool to close this connection instead of lending it again: for session state
    /// that could not be undone (a session setting or lock whose reset failed).
    public func discardAfterUse() {
        discardRequested.store(true, ordering: .releasing)
    }

    var isDiscardRequested: Bool { discardRequested.load(ordering: .acquiring) }

    /// Closes the connection (idempotent).
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let core = self.core
        if core.thread.isCurrent {
            core.finish()
        } else {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                core.thread.submit {
                    core.finish()
                    continuation.resume()
                }
            }
        }
        core.thread.shutdown()
        logger.debug("closed", metadata: ["db.backend_pid": "\(backendPID)"])
    }
}

import Glibc

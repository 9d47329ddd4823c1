public import Logging
import Synchronization

/// Limits and recycling rules of a ``PostgresPool``.
public struct PostgresPoolOptions: Sendable {
    /// At most this many connections are open at once; further checkouts wait.
    public var maxConnections: Int
    /// A connection is closed and replaced after this many checkouts…
    public var maxUsesPerConnection: Int
    /// …or once it is this old (each backend's catalog cache grows with the schemas it touched).
    public var maxConnectionAge: Duration
    /// How long a checkout waits for a free connection before failing with `.timeout`.
    public var checkoutTimeout: Duration

    public init(
        maxConnections: Int = 10, maxUsesPerConnection: Int = 5_000,
        maxConnectionAge: Duration = .seconds(30 * 60), checkoutTimeout: Duration = .seconds(30)
    ) {
        self.maxConnections = max(1, maxConnections)
        self.maxUsesPerConnection = max(1, maxUsesPerConnection)
        self.maxConnectionAge = maxConnectionAge
        self.checkoutTimeout = checkoutTimeout
    }
}

/// A bounded pool of connections with scoped checkout.
///
/// `withConnection` lends a connection to one task for the length of its body; the body runs on
/// the connection's own thread (a task executor preference), so its statements cost no thread
/// hops. Each checkout first checks, without a round trip, that the server has not closed the
/// connection (after a restart, say) and replaces it if so; connections are recycled after
/// `maxUsesPerConnection` checkouts or `maxConnectionAge`; a connection returned inside a
/// transaction block or broken is closed, never lent again.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    public let options: PostgresPoolOptions
    let logger: Logger

    struct Pooled: Sendable {
        let connection: PostgresConnection
        var uses: Int
        /// What the last borrower asked for (see `withConnection(affinity:_:)`).
        var affinity: String?
    }

    private enum Grant: Sendable {
        case connection(Pooled)
        /// A slot is free: create a connection.
        case create
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
        /// When the checkout timeout fails it. Waiters queue in arrival order with one timeout,
        /// so the first one's deadline is the earliest.
        let deadline: ContinuousClock.Instant
    }

    private struct State {
        var idle: [Pooled] = []
        /// Connections open or being opened, lent or idle.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        /// The one task that fails waiters past their deadline runs (see `expireWaiters`).
        var timerRunning = false
        var closed = false
        var created = 0
        var discarded = 0
    }

    /// Counters for monitoring and tests.
    public struct Statistics: Sendable, Hashable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        /// Connections opened since the pool started.
        public var created: Int
        /// Connections closed because they broke, aged or were used up.
        public var discarded: Int
    }

    private let state = Mutex(State())

    public init(
        configuration: PostgresConfiguration = PostgresConfiguration(),
        options: PostgresPoolOptions = PostgresPoolOptions(),
        logger: Logger = Logger(label: "tongxin.postgres.pool")
    ) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    public var statistics: Statistics {
        state.withLock {
            Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count, created: $0.created, discarded: $0.discarded)
        }
    }

    /// Lends a connection to `body` for its duration. With an `affinity` (e.g. a county's
    /// schema) an idle connection last lent with the same one is preferred: its prepared plans
    /// were made for that search_path and need no re-planning.
    @discardableResult
    public func withConnection<R: Sendable>(
        affinity: String? = nil, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        while true {
            var pooled = try await checkout(affinity: affinity)
            pooled.affinity = affinity
            let connection = pooled.connection
            let outcome: CheckoutOutcome<R> = await withTaskExecutorPreference(connection.executor) {
                guard await connection.isHealthy() else { return CheckoutOutcome<R>.unhealthy }
                let result: Result<R, any Error>
                do {
                    result = .success(try await body(connection))
                } catch {
                    result = .failure(error)
                }
                return CheckoutOutcome<R>.done(result, reusable: await connection.isReusable())
            }
            switch outcome {
            case .unhealthy:
                logger.debug("replacing a broken connection", metadata: ["db.backend_pid": "\(connection.backendPID)"])
                await release(pooled, reusable: false)
            case .done(let result, let reusable):
                pooled.uses += 1
                await release(pooled, reusable: reusable)
                return try result.get()
            }
        }
    }

    /// A transaction on a pooled connection (see ``PostgresConnection/withTransaction(_:_:)``).
    @discardableResult
    public func withTransaction<R: Sendable>(
        _ options: PostgresTransactionOptions = PostgresTransactionOptions(),
        _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await withConnection { connection in try await connection.withTransaction(options, body) }
    }

    /// A transaction on a pooled connection that begins with `prelude` in one round trip (see
    /// ``PostgresConnection/withTransaction(_:beginningWith:_:)``).
    @discardableResult
    public func withTransaction<R: Sendable>(
        _ options: PostgresTransactionOptions = PostgresTransactionOptions(),
        beginningWith prelude: [PostgresQuery], affinity: String? = nil,
        _ body: (PostgresConnection, [PostgresRows]) async throws -> R
    ) async throws -> R {
        try await withConnection(affinity: affinity) { connection in
            try await connection.withTransaction(options, beginningWith: prelude, body)
        }
    }

    /// One statement on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { connection in try await connection.query(query) }
    }

    /// Closes idle connections and fails waiting checkouts; lent connections close when returned.
    public func close() async {
        let (idle, waiters) = state.withLock { state -> ([Pooled], [Waiter]) in
            state.closed = true
            let idle = state.idle
            state.idle.removeAll()
            state.open -= idle.count
            let waiters = state.waiters
            state.waiters.removeAll()
            return (idle, waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the connection pool is closed"))
        }
        for pooled in idle { await pooled.connection.close() }
    }

    // MARK: Checkout and release

    private enum Step {
        case use(Pooled)
        case create
        case wait
        case recycle(Pooled)
    }

    private func checkout(affinity: String?) async throws -> Pooled {
        while true {
            try Task.checkCancellation()
            let step = try state.withLock { state -> Step in
                if state.closed { throw PostgresError(kind: .poolClosed, message: "the connection pool is closed") }
                if let affinity, let index = state.idle.lastIndex(where: { $0.affinity == affinity }) {
                    let pooled = state.idle.remove(at: index)
                    return isExpired(pooled) ? .recycle(pooled) : .use(pooled)
                }
                if let pooled = state.idle.popLast() {
                    return isExpired(pooled) ? .recycle(pooled) : .use(pooled)
                }
                if state.open < options.maxConnections {
                    state.open += 1
                    return .create
                }
                return .wait
            }
            switch step {
            case .use(let pooled):
                return pooled
            case .recycle(let pooled):
                state.withLock {
                    $0.open -= 1
                    $0.discarded += 1
                }
                await pooled.connection.close()
            case .create:
                return try await create()
            case .wait:
                switch try await waitForGrant() {
                case .connection(let pooled): return pooled
                case .create: return try await create()
                }
            }
        }
    }

    /// Opens a connection for a slot already counted in `open`.
    private func create() async throws -> Pooled {
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, logger: logger)
            state.withLock { $0.created += 1 }
            return Pooled(connection: connection, uses: 0, affinity: nil)
        } catch {
            freeSlot()
            throw error
        }
    }

    /// Gives up a slot; a waiter, if any, gets it to open a connection of its own.
    private func freeSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if !state.waiters.isEmpty, !state.closed { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .create)
    }

    private func isExpired(_ pooled: Pooled) -> Bool {
        pooled.uses >= options.maxUsesPerConnection
            || ContinuousClock.now - pooled.connection.openedAt >= options.maxConnectionAge
    }

    private enum Return {
        case handed(Waiter)
        case idle
        case discard
    }

    private func release(_ pooled: Pooled, reusable: Bool) async {
        let keep = reusable && !isExpired(pooled)
        // One decision under the lock, acted on afterwards: the pool may close meanwhile.
        let decision = state.withLock { state -> Return in
            guard keep, !state.closed else { return .discard }
            if !state.waiters.isEmpty { return .handed(state.waiters.removeFirst()) }
            state.idle.append(pooled)
            return .idle
        }
        switch decision {
        case .handed(let waiter):
            waiter.continuation.resume(returning: .connection(pooled))
        case .idle:
            break
        case .discard:
            state.withLock { $0.discarded += 1 }
            await pooled.connection.close()
            freeSlot()
        }
    }

    private func waitForGrant() async throws -> Grant {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timeout = options.checkoutTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (rejection, startTimer) = state.withLock { state -> ((any Error)?, Bool) in
                    if state.closed { return (PostgresError(kind: .poolClosed, message: "the connection pool is closed"), false) }
                    if Task.isCancelled { return (CancellationError(), false) }
                    if timeout <= .zero { return (timeoutError, false) }
                    state.waiters.append(Waiter(id: id, continuation: continuation, deadline: .now + timeout))
                    let start = !state.timerRunning
                    state.timerRunning = true
                    return (nil, start)
                }
                if let rejection { continuation.resume(throwing: rejection) }
                // Detached: the timer must not wait for a connection thread this task prefers.
                if startTimer { _ = Self.expireWaiters(of: self) }
            }
        } onCancel: {
            failWaiter(id, CancellationError())
        }
    }

    private var timeoutError: PostgresError {
        PostgresError(
            kind: .timeout, message: "no database connection free after \(options.checkoutTimeout) (pool of \(options.maxConnections))")
    }

    /// The checkout timeout of every waiter, on one task: it sleeps until the first waiter's
    /// deadline, fails the waiters past theirs, and ends when none wait. (A timer task per waiter
    /// costs a task and a dispatch timer per busy checkout, and a cancelled `Task.sleep` holds
    /// its timer until the deadline: under load that was tens of MB.)
    private static func expireWaiters(of pool: PostgresPool) -> Task<Void, Never> {
        Task.detached { [weak pool] in
            while let next = pool?.failExpiredWaiters() { try? await Task.sleep(until: next, clock: .continuous) }
        }
    }

    /// Fails the waiters past their deadline; the next deadline, or nil (the timer ends) when
    /// none wait.
    private func failExpiredWaiters() -> ContinuousClock.Instant? {
        let (expired, next) = state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
            let now = ContinuousClock.now
            var expired: [Waiter] = []
            while let first = state.waiters.first, first.deadline <= now { expired.append(state.waiters.removeFirst()) }
            guard let first = state.waiters.first else {
                state.timerRunning = false
                return (expired, nil)
            }
            return (expired, first.deadline)
        }
        for waiter in expired { waiter.continuation.resume(throwing: timeoutError) }
        return next
    }

    private func failWaiter(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}

private enum CheckoutOutcome<R> {
    case unhealthy
    case done(Result<R, any Error>, reusable: Bool)
}

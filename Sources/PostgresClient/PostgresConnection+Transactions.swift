import CLibPQ

/// Transaction isolation levels.
public enum PostgresIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// How `withTransaction` begins and retries.
public struct PostgresTransactionOptions: Sendable {
    /// nil: the server's default (`default_transaction_isolation`).
    public var isolation: PostgresIsolationLevel?
    public var readOnly: Bool
    /// Attempts in all for serialization failures and deadlocks (1: no retry).
    public var maxAttempts: Int
    /// Schemas to put on the transaction's search_path (`set_config(…, true)`, local to it).
    public var searchPath: [PostgresIdentifier]
    /// The prelude is all the transaction does: COMMIT goes in the prelude's round trip, and the
    /// body only looks at the prelude's rows (on the connection it would run outside the
    /// transaction, without its search_path).
    public var commitsWithPrelude: Bool

    public init(
        isolation: PostgresIsolationLevel? = nil, readOnly: Bool = false, maxAttempts: Int = 1,
        searchPath: [PostgresIdentifier] = [], commitsWithPrelude: Bool = false
    ) {
        self.isolation = isolation
        self.readOnly = readOnly
        self.maxAttempts = max(1, maxAttempts)
        self.searchPath = searchPath
        self.commitsWithPrelude = commitsWithPrelude
    }

    /// SERIALIZABLE with up to `attempts` tries on serialization failures and deadlocks.
    public static func serializable(retrying attempts: Int = 5) -> PostgresTransactionOptions {
        PostgresTransactionOptions(isolation: .serializable, maxAttempts: attempts)
    }

    var beginSQL: String {
        var sql = "BEGIN"
        if let isolation { sql += " ISOLATION LEVEL \(isolation.rawValue)" }
        sql += readOnly ? " READ ONLY" : " READ WRITE"
        return sql
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// With `maxAttempts > 1` the whole body runs again after a serialization failure or a
    /// deadlock, so it must have no effects outside the database. A failed rollback is reported
    /// with the original error in ``PostgresTransactionError``.
    @discardableResult
    public func withTransaction<R: Sendable>(
        _ options: PostgresTransactionOptions = PostgresTransactionOptions(),
        _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await withTransaction(options, beginningWith: []) { connection, _ in try await body(connection) }
    }

    /// A transaction that begins with `prelude`: BEGIN, the search_path and the prelude's
    /// statements go in one round trip (pipeline mode), and `body` gets the prelude's rows in
    /// order. What the body then does, commit, rollback and retries are as in
    /// ``withTransaction(_:_:)``.
    @discardableResult
    public func withTransaction<R: Sendable>(
        _ options: PostgresTransactionOptions = PostgresTransactionOptions(),
        beginningWith prelude: [PostgresQuery],
        _ body: (PostgresConnection, [PostgresRows]) async throws -> R
    ) async throws -> R {
        if try await inTransaction {
            // Committing with the prelude ends the transaction: not inside another one.
            if options.commitsWithPrelude {
                throw PostgresError.misuse("commitsWithPrelude inside an open transaction (it would commit the outer one)")
            }
            // Nested: a savepoint. A retry could not help here (the outer transaction is the
            // one a serialization failure aborts), so the outermost call retries.
            return try await savepoint(options) { connection in
                try await body(connection, try await connection.pipeline(prelude))
            }
        }
        var attempt = 1
        while true {
            do {
                return try await transactionOnce(options, prelude, body)
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < options.maxAttempts {
                logger.debug("transaction retry", metadata: ["db.sqlstate": "\(error.sqlState?.rawValue ?? "")", "db.attempt": "\(attempt)"])
                // Back off a little, more each time, with jitter, so the rivals do not collide again.
                let micros = Int64.random(in: 0...(Int64(1) << min(attempt + 9, 16)))
                try await Task.sleep(for: .microseconds(micros))
                attempt += 1
            }
        }
    }

    private func transactionOnce<R: Sendable>(
        _ options: PostgresTransactionOptions, _ prelude: [PostgresQuery],
        _ body: (PostgresConnection, [PostgresRows]) async throws -> R
    ) async throws -> R {
        var opening = [PostgresQuery(unsafeSQL: options.beginSQL)]
        if !options.searchPath.isEmpty { opening.append(Self.searchPathQuery(options.searchPath)) }
        let preludeRows: [PostgresRows]
        if options.commitsWithPrelude {
            // One round trip for the whole transaction: BEGIN, the prelude and COMMIT.
            do {
                preludeRows = Array(try await commit(after: opening + prelude).dropFirst(opening.count))
            } catch {
                try await rollingBack(error)
            }
            // Committed: what the body makes of the rows is its own.
            return try await body(self, preludeRows)
        } else if opening.count == 1, prelude.isEmpty {
            try await query(opening[0])
            preludeRows = []
        } else {
            do {
                preludeRows = Array(try await pipeline(opening + prelude).dropFirst(opening.count))
            } catch {
                // BEGIN may have run and a later statement failed: end the block.
                try await rollingBack(error)
            }
        }
        let value: R
        do {
            value = try await body(self, preludeRows)
        } catch {
            try await rollingBack(error)
        }
        // The body may have committed already, with its last statements (`commit(after:)`):
        // then it is done, cancelled or not (a committed step must not be reported as failed).
        let open = try await performIgnoringCancellation { core -> Bool in
            guard let pg = core.pg else { return false }
            return PQtransactionStatus(pg) != PQTRANS_IDLE
        }
        if !open { return value }
        let tag: String
        do {
            tag = try await perform { core in try core.execute("COMMIT").commandTag }
        } catch {
            // A failed COMMIT ends the transaction; make sure no block stays open.
            try? await rollbackIgnoringCancellation()
            throw error
        }
        if tag == "ROLLBACK" {
            throw PostgresError.rolledBackAtCommit
        }
        return value
    }

    /// Ends the transaction that `withTransaction` opened by sending `queries` and COMMIT in
    /// one round trip; returns the queries' rows. When one fails nothing is committed: the
    /// error is thrown and `withTransaction` rolls back. Only for the outermost transaction
    /// (inside a savepoint it would commit the enclosing transaction).
    public func commit(after queries: [PostgresQuery]) async throws -> [PostgresRows] {
        let results = try await pipeline(queries + [PostgresQuery(unsafeSQL: "COMMIT")])
        if results.last?.commandTag == "ROLLBACK" {
            throw PostgresError.rolledBackAtCommit
        }
        return Array(results.dropLast())
    }

    /// A `withTransaction` inside an open transaction becomes a savepoint: its body's effects are
    /// undone when it throws, and the outer transaction alone decides about the commit.
    private func savepoint<R: Sendable>(
        _ options: PostgresTransactionOptions, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        if options.isolation != nil {
            throw PostgresError.misuse("a nested withTransaction cannot set its own isolation level")
        }
        let name = "tx_savepoint_\(Int.random(in: 0..<Int.max))"
        try await query(PostgresQuery(unsafeSQL: "SAVEPOINT \(name)"))
        do {
            // RELEASE keeps a set_config(…, true) made inside the savepoint: put the outer
            // search_path back, so the outer transaction never runs in the inner county's schema.
            var outerSearchPath: String?
            if !options.searchPath.isEmpty {
                outerSearchPath = try await query("SELECT current_setting('search_path')").single().decode(String.self)
                try await setLocalSearchPath(options.searchPath)
            }
            let value = try await body(self)
            if let outerSearchPath {
                try await query("SELECT set_config('search_path', \(outerSearchPath), true)")
            }
            try await query(PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(name)"))
            return value
        } catch {
            do {
                try await performIgnoringCancellation { core in
                    _ = try core.execute(PostgresQuery(unsafeSQL: "ROLLBACK TO SAVEPOINT \(name)"))
                    _ = try core.execute(PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(name)"))
                }
            } catch let rollbackError as PostgresError {
                throw PostgresTransactionError(bodyError: error, rollbackError: rollbackError)
            }
            throw error
        }
    }

    /// ROLLBACK even when the task is cancelled: a transaction must never stay open.
    /// Ends the transaction block after `error` and throws it (with the rollback's own error
    /// when that failed too).
    private func rollingBack(_ error: any Error) async throws -> Never {
        do {
            try await rollbackIgnoringCancellation()
        } catch let rollbackError as PostgresError {
            throw PostgresTransactionError(bodyError: error, rollbackError: rollbackError)
        }
        throw error
    }

    private func rollbackIgnoringCancellation() async throws {
        try await performIgnoringCancellation { core in
            guard let pg = core.pg, PQstatus(pg) == CONNECTION_OK else { return }
            if PQtransactionStatus(pg) != PQTRANS_IDLE { _ = try core.execute("ROLLBACK") }
        }
    }

    /// Sets `search_path` for the rest of the current transaction only
    /// (`SELECT set_config('search_path', $1, true)`): counties are schemas.
    public func setLocalSearchPath(_ schemas: [PostgresIdentifier]) async throws {
        try await query(Self.searchPathQuery(schemas))
    }

    static func searchPathQuery(_ schemas: [PostgresIdentifier]) -> PostgresQuery {
        let path = schemas.map(\.quoted).joined(separator: ", ")
        return "SELECT set_config('search_path', \(path), true)"
    }

    /// Runs `body` in a transaction whose search_path is `schema` alone.
    @discardableResult
    public func withTransaction<R: Sendable>(
        inSchema schema: PostgresIdentifier,
        _ options: PostgresTransactionOptions = PostgresTransactionOptions(),
        _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        var options = options
        options.searchPath = [schema]
        return try await withTransaction(options, body)
    }

    /// Whether the server is in a transaction block on this connection.
    public var inTransaction: Bool {
        get async throws {
            try await perform { core in
                let pg = try core.requireOpen()
                return PQtransactionStatus(pg) != PQTRANS_IDLE
            }
        }
    }

    /// Ready to be handed to the next user: open and outside any transaction block.
    func isReusable() async -> Bool {
        if isDiscardRequested { return false }
        return (try? await performIgnoringCancellation { core -> Bool in
            guard let pg = core.pg, PQstatus(pg) == CONNECTION_OK else { return false }
            return PQtransactionStatus(pg) == PQTRANS_IDLE
        }) ?? false
    }
}

extension PostgresError {
    /// COMMIT answered ROLLBACK: a statement of the transaction had failed.
    static var rolledBackAtCommit: PostgresError {
        PostgresError(kind: .server, message: "transaction was rolled back at COMMIT: a statement in it had failed", sqlState: .inFailedTransaction)
    }
}

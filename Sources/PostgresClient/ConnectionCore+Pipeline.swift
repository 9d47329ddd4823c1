import CLibPQ

extension ConnectionCore {
    private enum Expect {
        /// Results of a statement, up to libpq's NULL. `query` is the caller's index for an execute.
        case statement(query: Int?, prepared: StatementKey?, cached: StatementKey? = nil)
        case sync
    }

    /// Sends all `queries` in pipeline mode, one round trip, one sync at the end, so they form
    /// one implicit transaction outside an explicit one: if one fails, none has any effect.
    /// Statements not yet prepared are prepared in the same round trip; with `prepare` false
    /// (DDL, one-off statements) none is: each is parsed as an unnamed statement.
    func runPipeline(_ queries: [PostgresQuery], prepare: Bool = true) throws -> [PostgresRows] {
        let useCache = prepare && cache.capacity > 0
        let pg = try requireOpen()
        for query in queries {
            if let invalid = query.binds.invalid { throw PostgresError.misuse(invalid) }
            guard query.binds.count <= 65535 else {
                throw PostgresError.misuse("a statement takes at most 65535 bind values, got \(query.binds.count)")
            }
        }
        ensureSessionFormats()
        guard PQenterPipelineMode(pg) == 1 else { throw connectionError() }
        var expect: [Expect] = []
        expect.reserveCapacity(queries.count + 4)
        var results = [PostgresRows](repeating: PostgresRows(), count: queries.count)
        var firstError: (any Error)?
        var position = 0
        var preparedHere: [StatementKey: String] = [:]
        var prepareFailed: Set<StatementKey> = []

        func read(blocking: Bool) throws {
            while position < expect.count {
                if PQisBusy(pg) == 1 {
                    if !blocking { return }
                    try awaitResult(pg)
                    continue
                }
                switch expect[position] {
                case .sync:
                    guard let result = PQgetResult(pg) else {
                        if PQstatus(pg) != CONNECTION_OK { throw connectionError() }
                        continue
                    }
                    let status = PQresultStatus(result)
                    PQclear(result)
                    if status == PGRES_PIPELINE_SYNC {
                        position += 1
                    } else if firstError == nil {
                        firstError = PostgresError(kind: .protocolViolation, message: "expected the pipeline sync, got status \(status.rawValue)")
                    }
                case .statement(let query, let prepared, let cached):
                    guard let result = PQgetResult(pg) else {
                        position += 1
                        continue
                    }
                    let handle = ResultHandle(result)
                    switch PQresultStatus(result) {
                    case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                        if let query { results[query] = PostgresRows(result: handle) }
                    case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                        // The server waits for COPY data and ignores the pending sync: this
                        // connection cannot be brought back; the caller's catch closes it.
                        throw PostgresError.misuse("COPY is not supported by query() or pipeline(): use copyFrom(table:columns:_:)")
                    default:
                        if let prepared { prepareFailed.insert(prepared) }
                        if let cached, let error = Optional(serverError(result, sql: cached.sql)),
                            error.sqlState == .invalidSQLStatementName || error.isStalePlan
                        {
                            cache.remove(cached, exists: error.sqlState != .invalidSQLStatementName)
                        }
                        // Errors of the deallocation segment (query == nil, prepared == nil) are ignored.
                        if firstError == nil, query != nil || prepared != nil {
                            firstError = serverError(result, sql: query.map { queries[$0].sql } ?? prepared?.sql)
                        }
                    }
                }
            }
        }

        do {
            // Deallocate evicted statements in a segment of their own, only outside a transaction
            // block, so that a failure there can never abort the caller's transaction.
            // Behind a pooler the statements live on its server connections: never DEALLOCATE.
            if isPooled { cache.pendingDeallocations.removeAll() }
            if !cache.pendingDeallocations.isEmpty, PQtransactionStatus(pg) == PQTRANS_IDLE {
                for name in cache.pendingDeallocations {
                    guard PQsendQueryParams(pg, "DEALLOCATE \"\(name)\"", 0, nil, nil, nil, nil, 0) == 1 else {
                        throw connectionError()
                    }
                    expect.append(.statement(query: nil, prepared: nil))
                }
                cache.pendingDeallocations.removeAll()
                guard PQpipelineSync(pg) == 1 else { throw connectionError() }
                expect.append(.sync)
            }
            for (index, query) in queries.enumerated() {
                let key = StatementKey(sql: query.sql, types: query.binds.types)
                var name = useCache ? (preparedHere[key] ?? cache.lookup(key)) : nil
                let fromCache = name != nil && preparedHere[key] == nil
                if name == nil, useCache, cache.hasRoom {
                    let fresh = cache.newName()
                    let sent = query.binds.types.withUnsafeBufferPointer { types in
                        PQsendPrepare(pg, fresh, query.sql, Int32(query.binds.count), types.baseAddress)
                    }
                    guard sent == 1 else { throw connectionError() }
                    expect.append(.statement(query: nil, prepared: key))
                    preparedHere[key] = fresh
                    name = fresh
                }
                let sent = query.binds.withParameters { types, values in
                    if let name {
                        return PQsendQueryPrepared(pg, name, Int32(query.binds.count), values, nil, nil, 0)
                    }
                    return PQsendQueryParams(pg, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
                }
                guard sent == 1 else { throw connectionError() }
                expect.append(.statement(query: index, prepared: nil, cached: fromCache ? key : nil))
                if index % 64 == 63 {
                    // Keep both directions moving without waiting.
                    guard PQflush(pg) >= 0, PQconsumeInput(pg) == 1 else { throw connectionError() }
                    try read(blocking: false)
                }
            }
            guard PQpipelineSync(pg) == 1 else { throw connectionError() }
            expect.append(.sync)
            try flush(pg)
            try read(blocking: true)
        } catch {
            // The connection is in an unknown state: close it, so it is never reused.
            finish()
            throw error
        }
        for (key, name) in preparedHere where !prepareFailed.contains(key) {
            cache.insert(key, name: name)
        }
        guard PQexitPipelineMode(pg) == 1 else {
            let failure = connectionError()
            finish()
            throw failure
        }
        if let firstError { throw firstError }
        return results
    }
}

import CLibPQ
import Glibc
import Logging
import Synchronization

/// What a wait does when the task that started the current operation is cancelled.
enum CancelMode {
    /// Ask the server to cancel the running statement (PQcancel), then read its answer.
    case cancelStatement
    /// Stop waiting and throw `CancellationError` (nothing runs on the server).
    case stopWaiting
}

/// A connection's libpq state. Everything here runs on the connection's own thread,
/// except `requestCancel`, which only sets an atomic and wakes the thread.
final class ConnectionCore: @unchecked Sendable {
    let thread: ConnectionThread
    private(set) var pg: OpaquePointer?
    var cache: StatementCache
    /// Operations whose cancellation was requested (several tasks may share a connection).
    private let cancelled = Mutex<Set<UInt64>>([])
    /// The operation now running on the thread.
    private(set) var currentOperation: UInt64 = 0
    private var cancelSent = false

    /// Receives the server's notices (NOTICE, WARNING) at debug level.
    let logger: Logger

    init(thread: ConnectionThread, cacheCapacity: Int, logger: Logger) {
        self.thread = thread
        self.logger = logger
        self.cache = StatementCache(capacity: cacheCapacity)
    }

    deinit {
        if let pg { PQfinish(pg) }
    }

    // MARK: Operations and cancellation

    func begin(operation: UInt64) throws {
        currentOperation = operation
        cancelSent = false
        if cancelled.withLock({ $0.contains(operation) }) {
            end()
            throw CancellationError()
        }
    }

    func end() {
        let operation = currentOperation
        currentOperation = 0
        cancelled.withLock { _ = $0.remove(operation) }
    }

    /// From any thread: cancel `operation` if it is (or will be) running. Requests for
    /// operations that already ended are dropped by `forget(operation:)`.
    func requestCancel(operation: UInt64) {
        cancelled.withLock { _ = $0.insert(operation) }
        thread.signal()
    }

    /// Drops a cancellation request that arrived after its operation ended.
    func forget(operation: UInt64) {
        cancelled.withLock { _ = $0.remove(operation) }
    }

    private var cancelRequested: Bool {
        currentOperation != 0 && cancelled.withLock { $0.contains(currentOperation) }
    }

    private func sendCancel() {
        guard let pg, !cancelSent else { return }
        cancelSent = true
        guard let cancel = PQgetCancel(pg) else { return }
        defer { PQfreeCancel(cancel) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
    }

    // MARK: Connection state

    var isOpen: Bool {
        guard let pg else { return false }
        return PQstatus(pg) == CONNECTION_OK
    }

    var errorMessage: String {
        guard let pg, let text = PQerrorMessage(pg) else { return "connection is closed" }
        let message = PostgresError.oneLine(String(cString: text))
        return message.isEmpty ? "connection is closed" : message
    }

    func connectionError() -> PostgresError {
        PostgresError(kind: .connectionClosed, message: errorMessage)
    }

    func requireOpen() throws -> OpaquePointer {
        guard let pg else { throw PostgresError(kind: .connectionClosed, message: "connection is closed") }
        guard PQstatus(pg) == CONNECTION_OK else { throw connectionError() }
        return pg
    }

    func finish() {
        stopTrace()
        if let pg { PQfinish(pg) }
        pg = nil
    }

    // MARK: Protocol trace (debugging and tests)

    private var traceFile: UnsafeMutablePointer<FILE>?

    /// Writes every protocol message to `path` (libpq's PQtrace, without timestamps).
    func startTrace(path: String) throws {
        let pg = try requireOpen()
        stopTrace()
        guard let file = fopen(path, "w") else { throw PostgresError.misuse("cannot write a trace to \(path)") }
        traceFile = file
        PQtrace(pg, file)
        PQsetTraceFlags(pg, PQTRACE_SUPPRESS_TIMESTAMPS)
    }

    func stopTrace() {
        guard let file = traceFile else { return }
        if let pg { PQuntrace(pg) }
        fclose(file)
        traceFile = nil
    }

    // MARK: Connecting

    func connect(_ configuration: PostgresConfiguration) throws {
        if let invalid = configuration.invalidStatementCache {
            throw PostgresError(kind: .connectionFailed, message: "statement_cache: \"\(invalid.prefix(40))\" is none of on, off, auto")
        }
        var keywords = ["fallback_application_name", "dbname"]
        var values = [configuration.applicationName, configuration.connectionString ?? ""]
        if let database = configuration.database {
            // Only the first dbname is expanded as a connection string; a second one is a name.
            keywords.append("dbname")
            values.append(database)
        }
        let handle: OpaquePointer? = withArrayOfCStrings(keywords) { k in
            withArrayOfCStrings(values) { v in PQconnectStartParams(k, v, 1) }
        }
        guard let handle else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        pg = handle
        do {
            try pollConnect(handle, timeout: connectTimeout(handle, configuration))
        } catch {
            let failure: any Error
            if error is CancellationError {
                failure = error
            } else {
                failure = PostgresError(kind: .connectionFailed, message: errorMessage)
            }
            finish()
            throw failure
        }
        guard PQsetnonblocking(handle, 1) == 0 else {
            let failure = PostgresError(kind: .connectionFailed, message: errorMessage)
            finish()
            throw failure
        }
        // Notices go to the logger, never to stderr; the core outlives its PGconn.
        PQsetNoticeReceiver(handle, { argument, result in
            guard let argument, let result else { return }
            let core = Unmanaged<ConnectionCore>.fromOpaque(argument).takeUnretainedValue()
            let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map { String(cString: $0) } ?? "NOTICE"
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
            core.logger.debug("server notice", metadata: ["db.severity": "\(severity)", "db.message": "\(message)"])
        }, Unmanaged.passUnretained(self).toOpaque())
        do {
            try setUpSession(handle, configuration)
        } catch let error as PostgresError where error.kind == .connectionFailed {
            finish()
            throw error
        } catch {
            finish()
            throw PostgresError(kind: .connectionFailed, message: "session setup failed: \(error)")
        }
    }

    /// true behind a transaction pooler (pgbouncer: the backend pid the server reports is not
    /// the one the connection was given) or when `statement_cache=off` says so. Then no state
    /// outlives a transaction: no session SETs, no statement names (unless `statement_cache=on`,
    /// for a pooler that keeps protocol-level prepared statements), no DEALLOCATE.
    private(set) var isPooled = false

    private func setUpSession(_ pg: OpaquePointer, _ configuration: PostgresConfiguration) throws {
        let rows = try executeSimple("""
            SELECT pg_backend_pid(), current_setting('DateStyle'), current_setting('bytea_output')
            """)
        let (pid, dateStyle, byteaOutput) = try rows.single().decode((Int32, String, String).self)
        let behindPooler = pid != PQbackendPID(pg)
        isPooled = behindPooler || configuration.statementCache == .off
        switch configuration.statementCache {
        case .off: cache = StatementCache(capacity: 0)
        case .auto where behindPooler: cache = StatementCache(capacity: 0)
        case .on where behindPooler: cache.evicts = false
        case .auto, .on: break
        }
        if !isPooled {
            try executeSimple(Self.sessionSetup)
            return
        }
        // Session settings would stay with one server connection of the pooler's: the
        // decoders read the server's defaults instead (intervals in either style).
        guard dateStyle.hasPrefix("ISO"), byteaOutput == "hex" else {
            throw PostgresError(kind: .connectionFailed, message: """
                through a pooler Tongxin sets no session state, so the server's defaults must be DateStyle ISO \
                and bytea_output hex (they are \(dateStyle) and \(byteaOutput)): ALTER DATABASE … SET DateStyle = 'ISO, YMD'
                """)
        }
    }

    /// Fixes the text formats the decoders read, whatever the server's defaults are.
    static let sessionSetup = "SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'iso_8601'; SET bytea_output TO 'hex'"

    /// After RESET ALL or DISCARD ALL the formats are the server's defaults again (the server
    /// reports DateStyle and IntervalStyle to libpq, so this check costs no round trip): set
    /// them anew, and after DISCARD ALL forget the prepared statements it dropped. Inside a
    /// transaction the SETs share its fate, as the RESET they undo does.
    func ensureSessionFormats() {
        guard let pg, !isPooled else { return }
        let interval = PQparameterStatus(pg, "IntervalStyle")
        let dates = PQparameterStatus(pg, "DateStyle")
        let intact = interval.map { strcmp($0, "iso_8601") == 0 } == true
            && dates.map { strncmp($0, "ISO", 3) == 0 } == true
        if intact { return }
        let status = PQtransactionStatus(pg)
        guard status == PQTRANS_IDLE || status == PQTRANS_INTRANS else { return }
        if (try? executeSimple(Self.sessionSetup)) == nil { return }
        // Asked outside the statement cache, so the question does not prepare a statement itself.
        if status == PQTRANS_IDLE, cache.count > 0,
            let rows = try? executeSimple("SELECT count(*) FROM pg_prepared_statements"),
            let count = try? rows.single().decode(Int.self), count == 0
        {
            cache.reset()
        }
    }

    private func connectTimeout(_ handle: OpaquePointer, _ configuration: PostgresConfiguration) -> Duration {
        if let options = PQconninfo(handle) {
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "connect_timeout", let value = option.pointee.val,
                    let seconds = Int(String(cString: value)), seconds > 0
                {
                    return .seconds(min(max(2, seconds), 86_400))
                }
                option += 1
            }
        }
        return configuration.connectTimeout
    }

    private struct ConnectFailed: Error {}

    private func pollConnect(_ handle: OpaquePointer, timeout: Duration) throws {
        if PQstatus(handle) == CONNECTION_BAD { throw ConnectFailed() }
        // connect_timeout is per host, as in libpq: the clock restarts when libpq moves on.
        var deadline = ContinuousClock.now + timeout
        var socket = PQsocket(handle)
        var status = PGRES_POLLING_WRITING
        while true {
            if PQsocket(handle) != socket {
                socket = PQsocket(handle)
                deadline = ContinuousClock.now + timeout
            }
            switch status {
            case PGRES_POLLING_OK:
                return
            case PGRES_POLLING_FAILED:
                throw ConnectFailed()
            case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
                let ready = try wait(
                    socket: PQsocket(handle), read: status == PGRES_POLLING_READING,
                    write: status == PGRES_POLLING_WRITING, deadline: deadline, mode: .stopWaiting)
                if !ready {
                    throw PostgresError(kind: .connectionFailed, message: "timeout expired while connecting")
                }
            default:
                break
            }
            status = PQconnectPoll(handle)
        }
    }

    // MARK: Waiting on the socket

    /// Waits until the socket is ready or `deadline` passes (returns false then).
    /// A cancellation request either sends PQcancel and keeps waiting, or throws.
    func wait(socket: Int32, read: Bool, write: Bool, deadline: ContinuousClock.Instant?, mode: CancelMode) throws -> Bool {
        guard socket >= 0 else { throw connectionError() }
        var events: Int16 = 0
        if read { events |= Int16(POLLIN) }
        if write { events |= Int16(POLLOUT) }
        while true {
            if cancelRequested {
                switch mode {
                case .stopWaiting: throw CancellationError()
                case .cancelStatement: sendCancel()
                }
            }
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { return false }
                let (seconds, attoseconds) = left.components
                timeout = seconds >= Int64(Int32.max / 1000)
                    ? Int32.max : Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            var descriptors = [
                pollfd(fd: socket, events: events, revents: 0),
                pollfd(fd: thread.wakeFD, events: Int16(POLLIN), revents: 0),
            ]
            let rc = poll(&descriptors, 2, timeout)
            if rc < 0 {
                if errno == EINTR { continue }
                throw PostgresError(kind: .connectionClosed, message: "poll failed: \(String(cString: strerror(errno)))")
            }
            if descriptors[1].revents != 0 { thread.drainSignal() }
            if descriptors[0].revents != 0 { return true }
        }
    }

    /// Sends everything libpq has buffered, reading input meanwhile so the server never stalls.
    func flush(_ pg: OpaquePointer) throws {
        while true {
            let rc = PQflush(pg)
            if rc == 0 { return }
            if rc < 0 { throw connectionError() }
            _ = try wait(socket: PQsocket(pg), read: true, write: true, deadline: nil, mode: .cancelStatement)
            guard PQconsumeInput(pg) == 1 else { throw connectionError() }
        }
    }

    /// Waits until `PQgetResult` will not block.
    func awaitResult(_ pg: OpaquePointer) throws {
        while PQisBusy(pg) == 1 {
            _ = try wait(socket: PQsocket(pg), read: true, write: false, deadline: nil, mode: .cancelStatement)
            guard PQconsumeInput(pg) == 1 else { throw connectionError() }
        }
    }

    // MARK: Results

    /// Reads the results of one statement up to libpq's NULL; returns the last (or first error).
    func collect(_ pg: OpaquePointer, sql: String) throws -> PostgresRows {
        var rows = PostgresRows()
        var failure: (any Error)?
        while true {
            try awaitResult(pg)
            guard let result = PQgetResult(pg) else { break }
            let handle = ResultHandle(result)
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                if failure == nil { rows = PostgresRows(result: handle) }
            case PGRES_COPY_IN:
                _ = PQputCopyEnd(pg, "COPY FROM STDIN needs copyFrom(…)")
                try flush(pg)
                if failure == nil { failure = PostgresError.misuse("COPY FROM STDIN needs the copyFrom API") }
            case PGRES_COPY_OUT:
                try discardCopyOut(pg)
                if failure == nil { failure = PostgresError.misuse("COPY TO STDOUT is not supported by query(); use a SELECT") }
            default:
                if failure == nil { failure = serverError(result, sql: sql) }
            }
        }
        if let failure { throw failure }
        if PQstatus(pg) != CONNECTION_OK { throw connectionError() }
        return rows
    }

    private func discardCopyOut(_ pg: OpaquePointer) throws {
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(pg, &buffer, 1)
            if let buffer { PQfreemem(buffer) }
            if n == -1 { return }
            if n == -2 { throw connectionError() }
            if n == 0 {
                _ = try wait(socket: PQsocket(pg), read: true, write: false, deadline: nil, mode: .cancelStatement)
                guard PQconsumeInput(pg) == 1 else { throw connectionError() }
            }
        }
    }

    func serverError(_ result: OpaquePointer, sql: String?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let status = PQresultStatus(result)
        if status == PGRES_PIPELINE_ABORTED {
            var error = PostgresError(kind: .server, message: "not run: an earlier statement in the pipeline failed")
            error.query = sql
            return error
        }
        guard let sqlState = field(UInt8(ascii: "C")) else {
            // No SQLSTATE: libpq's own failure, usually a lost connection.
            let message = PQresultErrorMessage(result).map { PostgresError.oneLine(String(cString: $0)) } ?? ""
            var error = PostgresError(kind: isOpen ? .protocolViolation : .connectionClosed,
                                      message: message.isEmpty ? errorMessage : message)
            error.query = sql
            return error
        }
        var error = PostgresError(kind: .server, message: field(UInt8(ascii: "M")) ?? "server error", sqlState: SQLState(rawValue: sqlState))
        error.severity = field(UInt8(ascii: "V")) ?? field(UInt8(ascii: "S"))
        error.detail = field(UInt8(ascii: "D"))
        error.hint = field(UInt8(ascii: "H"))
        error.constraint = field(UInt8(ascii: "n"))
        error.schema = field(UInt8(ascii: "s"))
        error.table = field(UInt8(ascii: "t"))
        error.column = field(UInt8(ascii: "c"))
        error.dataType = field(UInt8(ascii: "d"))
        error.position = field(UInt8(ascii: "P"))
        error.context = field(UInt8(ascii: "W"))
        error.query = sql
        return error
    }

    // MARK: Statements

    /// Simple-query protocol: several statements in one string, no bind values, no cache;
    /// the last statement's rows.
    @discardableResult
    func executeSimple(_ sql: String) throws -> PostgresRows {
        let pg = try requireOpen()
        guard PQsendQuery(pg, sql) == 1 else { throw connectionError() }
        try flush(pg)
        return try collect(pg, sql: sql)
    }

    /// One statement with bind values, through the prepared-statement cache.
    func execute(_ query: PostgresQuery) throws -> PostgresRows {
        if let invalid = query.binds.invalid { throw PostgresError.misuse(invalid) }
        guard query.binds.count <= 65535 else {
            throw PostgresError.misuse("a statement takes at most 65535 bind values, got \(query.binds.count)")
        }
        let pg = try requireOpen()
        ensureSessionFormats()
        let key = StatementKey(sql: query.sql, types: query.binds.types)
        if cache.capacity > 0, let name = cache.lookup(key) {
            let sent = query.binds.withParameters { types, values in
                PQsendQueryPrepared(pg, name, Int32(query.binds.count), values, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError() }
            try flush(pg)
            do {
                return try collect(pg, sql: query.sql)
            } catch let error as PostgresError where error.sqlState == .invalidSQLStatementName || error.isStalePlan {
                // The plan went stale after DDL, or the statement was dropped by DEALLOCATE or
                // DISCARD: forget it. The statement did not run, so outside a transaction block
                // it runs once more (inside one the block is already aborted).
                cache.remove(key, exists: error.sqlState != .invalidSQLStatementName)
                guard PQtransactionStatus(pg) == PQTRANS_IDLE else { throw error }
                return try runPipeline([query])[0]
            }
        }
        if !cache.hasRoom {
            // No cache, or one that may give out no more names: unnamed, in one round trip.
            let sent = query.binds.withParameters { types, values in
                PQsendQueryParams(pg, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError() }
            try flush(pg)
            return try collect(pg, sql: query.sql)
        }
        // First use: prepare and execute in one round trip.
        return try runPipeline([query])[0]
    }
}

extension SQLState {
    public static let invalidSQLStatementName: SQLState = "26000"
}

extension PostgresError {
    /// "cached plan must not change result type": a prepared statement outlived DDL on its table.
    var isStalePlan: Bool {
        sqlState == .featureNotSupported && message.hasPrefix("cached plan must not change result type")
    }
}

/// Runs `body` with a NULL-terminated C array of C strings.
func withArrayOfCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicates.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

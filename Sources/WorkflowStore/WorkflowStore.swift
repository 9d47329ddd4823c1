public import Counties
public import Foundation
public import PostgresClient
import JobQueue
import Synchronization
public import Workflow
public import TongxinBase

/// The workflow of one county in the database: each operation is one transaction that checks
/// the county is writable, lets the state machine decide, writes, and appends its audit entry.
///
/// Tables are named without schema: each transaction puts the county's schema (alone) on its
/// search_path, local to the transaction.
public struct WorkflowStore: Sendable {
    public let pool: PostgresPool
    public let county: CountyCode
    /// Who acts: every operation asks `Permissions.may` first.
    public let principal: Principal
    /// When the actions take effect (`--as-of`), else the current time. The server's clock is
    /// recorded beside it; a time behind it is a back-dated step (补录), which needs staff
    /// rights, a `reason` (`--backdate-reason`) and at most the county's `backdate_days`, and the future is refused —
    /// but in a demo or training county an operator (acting for an account) replays freely.
    public let now: Date
    /// Why the step is effective in the past.
    public let reason: String?

    /// Recorded in the audit log as the actor.
    public var actor: String { principal.login }

    /// How far the step's time may differ from the server's clock and still count as now.
    public static let clockTolerance: TimeInterval = 300

    /// Refused at once (nothing read) for an account that does not belong to `county`.
    public init(pool: PostgresPool, county: CountyCode, principal: Principal, now: Date = Date(), reason: String? = nil) throws {
        if principal.role != .operator, principal.role != .system, !principal.counties.contains(county.value) {
            throw WorkflowError(notFound: "not allowed: \(principal.login) (\(principal.role.rawValue)) may not act in county \(county): the account does not belong to county \(county)")
        }
        self.pool = pool
        self.county = county
        self.principal = principal
        self.now = now
        self.reason = try Text.optional(reason, field: "--backdate-reason", maximum: 500, multiline: false)
    }

    /// The same store acting at another time.
    public func at(_ time: Date, reason: String? = nil) -> WorkflowStore {
        WorkflowStore(pool: pool, county: county, checkedPrincipal: principal, now: time, reason: reason ?? self.reason)
    }

    private init(pool: PostgresPool, county: CountyCode, checkedPrincipal: Principal, now: Date, reason: String?) {
        self.pool = pool
        self.county = county
        self.principal = checkedPrincipal
        self.now = now
        self.reason = reason
    }

    /// The county's local day of `now` (China Standard Time, UTC+8, no daylight saving).
    public var today: CalendarDate { LocalTime.day(of: now) }

    /// What an operation works with inside its transaction.
    struct Context: Sendable {
        let tx: PostgresConnection
        let settings: CountySettings
        /// The county is marked demo or training.
        let training: Bool
        /// The server's clock (the transaction's start).
        let serverNow: Date
        let schema: PostgresIdentifier
        /// Rows of the statements the operation asked to begin with.
        let prelude: [PostgresRows]
        /// Writes whose results nobody needs: sent together, in one round trip, before COMMIT.
        let batch: Batch

        /// Queues a write (run in order with the other queued ones, before the commit).
        func later(_ query: PostgresQuery) { batch.append(.write(query)) }
    }

    /// What an operation queued: its writes and its audit entries. They go to the server as one
    /// statement (the writes and the first entry as CTEs of one WITH; a further entry, which
    /// moves the chain's head again, as a statement of its own), in one round trip with COMMIT.
    /// A step must not update one row twice (CTEs of one statement cannot).
    final class Batch: Sendable {
        enum Item: Sendable {
            /// An INSERT, UPDATE or DELETE without WITH.
            case write(PostgresQuery)
            /// A named CTE later writes may read (`name AS (… RETURNING …)`).
            case named(String, PostgresQuery)
            case audit(AuditItem)
            /// A statement on the control schema (jobs): a statement of its own, after the
            /// county's (one statement never mixes the two, for Citus).
            case control(PostgresQuery)
            /// A job to enqueue with the step: all of a step's jobs go in one statement per
            /// county, after the county's statements.
            case job(NewJob)
        }

        struct AuditItem: Sendable {
            var schema: PostgresIdentifier
            var actor: String
            /// Who typed it when not the actor (an operator acting for an account).
            var enteredBy: String? = nil
            var entity: String
            var id: String
            var action: String
            var detail: [String: String]
            var at: Date
        }

        private let items = Mutex<[Item]>([])

        /// The county whose changes these are (their rollups).
        let county: CountyCode
        /// The step's local day (the year of changes that are not a proposal's).
        let today: CalendarDate

        init(county: CountyCode, today: CalendarDate) {
            self.county = county
            self.today = today
        }

        func append(_ item: Item) {
            items.withLock { $0.append(item) }
        }

        var isEmpty: Bool { items.withLock { $0.isEmpty } }

        /// The years of the audit entries already drained (an import flushes row by row).
        private let drainedYears = Mutex<Set<Int>>([])

        /// The years the batch's audited changes belong to, drained or still queued: a
        /// proposal's or micro-suggestion's by its number, else the step's day's.
        var auditedYears: Set<Int> {
            drainedYears.withLock { $0 }.union(items.withLock { Self.years(of: $0, today: today) })
        }

        private static func years(of items: [Item], today: CalendarDate) -> Set<Int> {
            var years = Set<Int>()
            for case .audit(let entry) in items {
                var year = today.year
                let number = entry.id.hasPrefix("W") ? entry.id.dropFirst() : Substring(entry.id)
                if entry.entity == "proposal" || entry.entity == "suggestion", number.count >= 5, number.dropFirst(4).first == "-",
                   let parsed = Int(number.prefix(4)), (2000...2100).contains(parsed) {
                    year = parsed
                }
                years.insert(year)
            }
            return years
        }

        private let keys = Mutex<Set<String>>([])

        /// Appends `item` unless an item with `key` was appended already.
        func appendOnce(_ item: Item, key: String) {
            guard keys.withLock({ $0.insert(key).inserted }) else { return }
            append(item)
        }

        /// Forgets the queued statements (their savepoint was rolled back).
        func discard() {
            items.withLock { $0.removeAll() }
            keys.withLock { $0.removeAll() }
        }

        /// Moves the queued items, as statements and jobs, into `writes`: one WITH … (the
        /// county's writes and first audit entry), further audit entries, the control schema's
        /// statements, then the jobs.
        /// With `schema`, the statements (if any) are preceded by one that puts the county's
        /// schema on the search_path: for writes sent later in a transaction that other
        /// counties' statements share (the worker's batch).
        func drain(into writes: PendingWrites, settingSearchPath schema: PostgresIdentifier? = nil) throws {
            let (statements, jobs) = split()
            if let schema, !statements.isEmpty { writes.later("SELECT set_config('search_path', \(schema.quoted), true)") }
            writes.later(statements)
            try writes.enqueue(jobs)
        }

        private func split() -> (statements: [PostgresQuery], jobs: [NewJob]) {
            let queued = items.withLock { items in
                defer { items.removeAll() }
                return items
            }
            let years = Self.years(of: queued, today: today)
            if !years.isEmpty { drainedYears.withLock { $0.formUnion(years) } }
            var jobs: [NewJob] = []
            var ctes: [PostgresQuery] = []
            var more: [PostgresQuery] = []
            var control: [PostgresQuery] = []
            var audited = false
            for item in queued {
                switch item {
                case .write(let query):
                    ctes.append("\(unescaped: "w\(ctes.count)") AS (\(fragment: query))")
                case .named(let name, let query):
                    ctes.append("\(unescaped: name) AS (\(fragment: query))")
                case .audit(let a):
                    if audited {
                        more.append(AuditLog.appendQuery(
                            schema: a.schema, actor: a.actor, entity: a.entity, entityID: a.id, action: a.action, detail: a.detail, at: a.at,
                            enteredBy: a.enteredBy))
                    } else {
                        ctes.append(AuditLog.appendCTEs(
                            schema: a.schema, actor: a.actor, entity: a.entity, entityID: a.id, action: a.action, detail: a.detail, at: a.at,
                            enteredBy: a.enteredBy))
                        audited = true
                    }
                case .control(let query):
                    control.append(query)
                case .job(let job):
                    jobs.append(job)
                }
            }
            guard var merged = ctes.first.map({ first -> PostgresQuery in "WITH \(fragment: first)" }) else { return (more + control, jobs) }
            for cte in ctes.dropFirst() { merged = "\(fragment: merged), \(fragment: cte)" }
            return (["\(fragment: merged) SELECT 1"] + more + control, jobs)
        }

        /// Sends the queued statements in one pipeline; with `committing`, COMMIT goes in the
        /// same round trip (the transaction must be the outermost).
        func flush(on tx: PostgresConnection, committing: Bool = false) async throws {
            let writes = PendingWrites()
            try drain(into: writes)
            let queries = try writes.queries()
            if committing {
                _ = try await tx.commit(after: queries)
            } else if !queries.isEmpty {
                _ = try await tx.pipeline(queries)
            }
        }
    }

    /// A step: one transaction; refused unless the county exists and is active, and the
    /// connected role may use it (`CountyRoles`: else one line naming the role). `prelude`'s
    /// statements run in the first round trip with BEGIN and the county check (after the
    /// county's schema is on the search_path); queued writes go in one more with COMMIT.
    func step<R: Sendable>(prelude: [PostgresQuery] = [], _ body: (Context) async throws -> R) async throws -> R {
        try await transaction(writing: true, prelude: prelude, body)
    }

    /// A read: one read-only transaction (archived counties can be read).
    func read<R: Sendable>(prelude: [PostgresQuery] = [], _ body: (Context) async throws -> R) async throws -> R {
        try await transaction(writing: false, prelude: prelude, body)
    }

    /// A read that is its prelude alone: BEGIN, the county check, the prelude and COMMIT in one
    /// round trip. `body` decides (the permission check) and decodes; it must not query.
    func readAll<R: Sendable>(_ prelude: [PostgresQuery], _ body: (Context) throws -> R) async throws -> R {
        try await transaction(writing: false, prelude: prelude, committed: true) { context in try body(context) }
    }

    /// Refuses, before a command reads its files or keys, a county that does not exist or that
    /// the connected role may not use (`CountyRoles`): the same one-line errors as a step's.
    public func requireAccess() async throws {
        if let refusal = await CountyRoles.accessRefusal(county, pool: pool) { throw refusal }
        let exists = try await pool.query("""
            SELECT count(*) FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(county.value)
            """).single().decode(Int.self)
        if exists == 0 { throw CountyError.noCounty(county) }
    }

    /// Refuses unless the principal may replay a year here: an operator, in a demo or training county.
    public func requireReplay() async throws {
        try await read { context in try authorize(.replay, countyTarget(context)) }
    }

    /// A read-only transaction in the county's schema (on its search_path), for the reports
    /// of this package (not for front ends: they call the store's operations and the reports);
    /// archived counties can be read.
    package func reading<R: Sendable>(_ body: (PostgresConnection, CountySettings) async throws -> R) async throws -> R {
        try await read { context in
            try authorize(.readReports, countyTarget(context))
            return try await body(context.tx, context.settings)
        }
    }

    /// The first statement of every transaction on the county, a step's, a read's or a
    /// watcher's: the county's status and settings, and its schema on the search_path. Generic
    /// plans: the workflow's statements are key lookups, and planning each execution anew
    /// (custom plans, or after the statistics of a county's small tables change) costs more
    /// than running them. Not on Citus (rule 9: a generic plan of a CTE that updates one table
    /// and inserts into another is "could not create distributed plan"), whose function
    /// citus_version is looked up by name in the catalog cache.
    var countyCheck: PostgresQuery {
        """
        SELECT status, settings::text, purpose, now(), set_config('search_path', \(county.schema.quoted), true),
               set_config('plan_cache_mode',
                          CASE WHEN to_regproc('pg_catalog.citus_version') IS NULL THEN 'force_generic_plan' ELSE 'auto' END, true)
        FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(county.value)
        """
    }

    /// `countyCheck`'s answer: whether the county is active, its settings, whether it is a demo
    /// or training county, and the server's clock; nil when there is no such county.
    func checkedCounty(_ rows: [PostgresRows]) throws -> (active: Bool, settings: CountySettings, training: Bool, serverNow: Date)? {
        guard let row = rows.first?.first else { return nil }
        let (status, settingsText, purpose, serverNow, _, _) = try row.decode((String, String, String, Date, String, String).self)
        return (status == County.Status.active.rawValue, try SettingsCache.shared.settings(settingsText), purpose != "live", serverNow)
    }

    /// Refuses a step whose time is in the future, or in the past (补录) without staff rights, a
    /// reason, or beyond the county's `backdate_days`; a demo or training county's operator
    /// (acting for an account) replays at any time.
    func checkClock(serverNow: Date, settings: CountySettings, training: Bool) throws {
        let lag = serverNow.timeIntervalSince(now)
        guard abs(lag) > Self.clockTolerance else { return }
        if training, principal.enteredBy != nil || principal.role == .operator { return }
        guard lag > 0 else {
            throw WorkflowError("--as-of: \(LocalTime.display(now)) is in the future (the server's clock says \(LocalTime.display(serverNow)))")
        }
        try Permissions.require(principal, .backdate, Target(county: county.value, training: training))
        guard reason != nil else {
            throw WorkflowError("--backdate-reason: a step effective in the past (\(LocalTime.display(now))) needs the reason it is entered late")
        }
        let days = lag / 86_400
        guard days <= Double(settings.backdateDays) else {
            throw WorkflowError("--as-of: \(LocalTime.display(now)) is \(Int(days)) days back; county \(county) allows at most \(settings.backdateDays) (backdate_days)")
        }
    }

    /// Whether this step is back-dated (its time behind the server's clock by more than the tolerance).
    func backdated(_ context: Context) -> Bool {
        context.serverNow.timeIntervalSince(now) > Self.clockTolerance
    }

    /// The statement that reads the name of the member or unit the principal is; nil for
    /// the other roles.
    var ownNameQuery: PostgresQuery? {
        if principal.role == .member, let id = principal.memberID { return "SELECT name FROM member WHERE id = \(id)" }
        if principal.role == .unit, let id = principal.unitID { return "SELECT name FROM unit WHERE id = \(id)" }
        return nil
    }

    /// That name, read in `context`'s transaction.
    func ownName(_ context: Context) async throws -> String? {
        guard let query = ownNameQuery else { return nil }
        return try await context.tx.query(query).first?.decode(String.self)
    }

    /// Refuses `operation` on `target` unless the principal may (one line, nothing written).
    func authorize(_ operation: Action, _ target: Target) throws {
        try Permissions.require(principal, operation, target)
    }

    /// The county as a target (steps that concern no one's own record).
    func countyTarget(_ context: Context) -> Target {
        Target(county: county.value, training: context.training)
    }

    private func transaction<R: Sendable>(
        writing: Bool, prelude: [PostgresQuery], committed: Bool = false, _ body: (Context) async throws -> R
    ) async throws -> R {
        let options = PostgresTransactionOptions(readOnly: !writing, maxAttempts: 3, commitsWithPrelude: committed && !writing)
        do {
            return try await pool.withTransaction(options, beginningWith: [countyCheck] + prelude, affinity: county.schema.name) { tx, rows in
                try await run(tx, rows, writing: writing, committed: options.commitsWithPrelude, body)
            }
        } catch let error as PostgresError where error.sqlState == .undefinedTable || error.sqlState == .insufficientPrivilege {
            // A role that may not use the county's schema is refused its tables (42501), and
            // finds none of them by their plain names (42P01: the search_path skips the schema).
            if let refusal = await CountyRoles.accessRefusal(county, pool: pool) { throw refusal }
            if error.sqlState == .undefinedTable, !prelude.isEmpty {
                // Without the county the prelude ran outside its schema: say which is missing.
                let exists = try await pool.query("""
                    SELECT count(*) FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(county.value)
                    """).single().decode(Int.self)
                if exists == 0 { throw CountyError.noCounty(county) }
            }
            throw error
        }
    }

    private func run<R: Sendable>(
        _ tx: PostgresConnection, _ rows: [PostgresRows], writing: Bool, committed: Bool = false, _ body: (Context) async throws -> R
    ) async throws -> R {
        guard let (active, settings, training, serverNow) = try checkedCounty(rows) else { throw CountyError.noCounty(county) }
        if writing, !active {
            throw CountyError("county \(county) is archived: its data can be read and reported, not changed")
        }
        if writing { try checkClock(serverNow: serverNow, settings: settings, training: training) }
        let batch = Batch(county: county, today: today)
        let context = Context(
            tx: tx, settings: settings, training: training, serverNow: serverNow, schema: county.schema,
            prelude: Array(rows.dropFirst()), batch: batch)
        let value = try await body(context)
        // Committed with the prelude: nothing may have been queued since.
        if committed {
            guard batch.isEmpty else { throw WorkflowError("a read that committed with its prelude queued writes") }
            return value
        }
        let rollups = askRollups(batch)
        // The queued writes and COMMIT in one round trip (read-only transactions commit too).
        do {
            try await batch.flush(on: tx, committing: true)
        } catch let error as PostgresError where AuditLog.isMissingHead(error) {
            throw AuditLog.missingHead(county.schema)
        }
        RollupsAsked.shared.committed(rollups)
        return value
    }

    /// Queues the audit entry of a change made in `context`'s transaction (sent with the other
    /// queued writes; the transaction fails when it could not be appended).
    func audit(_ context: Context, entity: String, id: String, action: String, detail: [String: String] = [:]) {
        var detail = detail
        if backdated(context), let reason { detail["backdated_reason"] = reason }
        context.batch.append(.audit(Batch.AuditItem(
            schema: context.schema, actor: actor, enteredBy: principal.enteredBy, entity: entity, id: id, action: action, detail: detail, at: now)))
    }

    /// The county's deadline calendar: its counting, and (for working days) its holidays and
    /// make-up working days.
    func calendar(_ context: Context) async throws -> WorkCalendar {
        let counting = WorkCalendar.Counting(rawValue: context.settings.dayCounting) ?? .calendar
        return try await loadCalendar(context, counting: counting)
    }

    /// The calendar with working-day counting whatever the county's setting (micro-suggestions).
    func workingCalendar(_ context: Context) async throws -> WorkCalendar {
        try await loadCalendar(context, counting: .working)
    }

    private func loadCalendar(_ context: Context, counting: WorkCalendar.Counting) async throws -> WorkCalendar {
        var calendar = WorkCalendar(counting: counting)
        guard counting == .working else { return calendar }
        for (day, kind) in try await context.tx.query("SELECT day, kind FROM calendar_day").decode((CalendarDate, String).self) {
            if kind == "holiday" { calendar.holidays.insert(day) } else { calendar.makeUpWorkdays.insert(day) }
        }
        return calendar
    }

    // MARK: Names to ids

    func memberIDs(_ context: Context, _ names: [String], field: String, requireActive: Bool = true) async throws -> [String: Int64] {
        try memberIDs(try await context.tx.query(memberQuery(names)), names, field: field, requireActive: requireActive)
    }

    func memberQuery(_ names: [String]) -> PostgresQuery {
        "SELECT name, id, active FROM member WHERE name = ANY(\(names))"
    }

    /// Members by name from `memberQuery`'s rows; an error names the first missing one.
    func memberIDs(_ rows: PostgresRows, _ names: [String], field: String, requireActive: Bool) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        for (name, id, active) in try rows.decode((String, Int64, Bool).self) {
            if requireActive, !active { throw WorkflowError("\(field): member \(name) is not active") }
            found[name] = id
        }
        if let missing = names.first(where: { found[$0] == nil }) {
            throw WorkflowError("\(field): no member \"\(missing.prefix(60))\" in county \(county)")
        }
        return found
    }

    func unitIDs(_ context: Context, _ names: [String], field: String) async throws -> [String: Int64] {
        try unitIDs(try await context.tx.query(unitQuery(names)), names, field: field)
    }

    func unitQuery(_ names: [String]) -> PostgresQuery {
        "SELECT name, id, active FROM unit WHERE name = ANY(\(names))"
    }

    func unitIDs(_ rows: PostgresRows, _ names: [String], field: String) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        for (name, id, active) in try rows.decode((String, Int64, Bool).self) {
            guard active else { throw WorkflowError("\(field): unit \(name) is not active") }
            found[name] = id
        }
        if let missing = names.first(where: { found[$0] == nil }) {
            throw WorkflowError("\(field): no handling unit \"\(missing.prefix(60))\" in county \(county)")
        }
        return found
    }

    func memberID(_ context: Context, _ name: String, field: String) async throws -> Int64 {
        guard let id = try await memberIDs(context, [name], field: field)[name] else {
            throw WorkflowError("\(field): no member \"\(name.prefix(60))\"")
        }
        return id
    }

    func unitID(_ context: Context, _ name: String, field: String) async throws -> Int64 {
        guard let id = try await unitIDs(context, [name], field: field)[name] else {
            throw WorkflowError("\(field): no handling unit \"\(name.prefix(60))\"")
        }
        return id
    }
}

/// Decoded county settings by their stored text: a transaction per workflow step need not run a
/// JSONDecoder each time.
final class SettingsCache: Sendable {
    static let shared = SettingsCache()
    private let entries = Mutex<[String: CountySettings]>([:])

    func settings(_ text: String) throws -> CountySettings {
        if let known = entries.withLock({ $0[text] }) { return known }
        let decoded = try JSONDecoder().decode(CountySettings.self, from: Data(text.utf8))
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[text] = decoded
        }
        return decoded
    }
}


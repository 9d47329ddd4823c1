import Foundation
import PostgresClient
import TongxinBase

/// `county export` and `county import`: one county's schema and registry entry in one file.
///
/// The file is a header line `tongxin-county-export 1 <registry JSON>` followed by a
/// `pg_dump --format=custom --schema=county_<code>` archive (without owners and grants); `import`
/// restores it with `pg_restore --single-transaction`, grants the county's role its rights
/// (`CountyRoles`) and registers the county. Both need PostgreSQL's client
/// programs (`pg_dump`, `pg_restore`) on the PATH, of the server's major version or newer.
extension CountyRegistry {
    static let exportMagic = "tongxin-county-export 1 "

    struct ExportHeader: Codable {
        var code: String
        var name: String
        var region: String?
        var status: String
        var settings: CountySettings
        /// live, demo or training (absent from exports before 0.3.0: live).
        var purpose: String?
    }

    /// Writes the county to `path` (mode 0600, complete or not at all); returns its size in bytes.
    @discardableResult
    public func export(_ code: CountyCode, to path: String) async throws -> Int {
        let county = try await show(code)
        let header = ExportHeader(code: county.code.value, name: county.name, region: county.region,
                                  status: county.status.rawValue, settings: county.settings, purpose: county.purpose.rawValue)
        let json = try JSONEncoder().encode(header)
        do {
            try OutputPath.check(path, field: "--to")
        } catch let error as WorkflowError {
            throw CountyError(error.description)
        }
        // Written beside the target and renamed at the end: a failed dump never leaves a
        // truncated file, nor replaces an earlier good one.
        let partial = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(
            atPath: partial, contents: Data(Self.exportMagic.utf8) + json + Data("\n".utf8),
            attributes: [.posixPermissions: 0o600])
        else { throw CountyError("cannot write \(path)") }
        do {
            guard let file = FileHandle(forWritingAtPath: partial) else { throw CountyError("cannot write \(path)") }
            defer { try? file.close() }
            try file.seekToEnd()
            try await Self.runTool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--schema=\(code.schema.name)"],
                                   environment: try pool.configuration.libpqEnvironment(), stdout: file, stdin: nil)
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Restores a county exported with `export`; refuses a code that exists already. Only the
    /// objects of `county_<code>` are restored from the archive, whatever else it holds.
    public func importCounty(from path: String) async throws -> County {
        guard let file = FileHandle(forReadingAtPath: path) else { throw CountyError("cannot read \(path)") }
        defer { try? file.close() }
        // The header line, read byte by byte so the archive after it stays in the file.
        var line = Data()
        while line.count < 65_536, let byte = try file.read(upToCount: 1), let first = byte.first, first != 10 {
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix(Self.exportMagic),
            let header = try? JSONDecoder().decode(ExportHeader.self, from: Data(text.dropFirst(Self.exportMagic.count).utf8))
        else { throw CountyError("\(path): not a county export of this version (first line \"\(text.prefix(40))\")") }
        let code = try CountyCode(header.code)
        let name = try Self.validated(text: header.name, field: "name", maximum: 100)
        let region = try header.region.map { try Self.validated(text: $0, field: "region", maximum: 200) }
        guard let status = County.Status(rawValue: header.status) else {
            throw CountyError("\(path): status \"\(header.status.prefix(20))\" is neither active nor archived")
        }
        try header.settings.validate()
        guard let purpose = County.Purpose(rawValue: header.purpose ?? "live") else {
            throw CountyError("\(path): purpose \"\(header.purpose?.prefix(20) ?? "")\" is not live, demo or training")
        }
        try await migrateControl()
        let exists = try await pool.query("SELECT count(*) FROM \(identifier: Self.controlSchema).county WHERE code = \(code.value)")
            .single().decode(Int.self)
        guard exists == 0 else { throw CountyError("county \(code) already exists") }
        let orphan = try await pool.query("SELECT to_regnamespace(\(code.schema.name)) IS NOT NULL").single().decode(Bool.self)
        guard !orphan else {
            throw CountyError("schema \(code.schema.name) exists without a registry entry (an interrupted import?); drop it with DROP SCHEMA \(code.schema.name) CASCADE, then import again")
        }
        // pg_restore wants a database name; the rest of the connection comes from its environment.
        let database = try await pool.query("SELECT current_database()").single().decode(String.self)
        let target = "dbname='" + database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        // An ordinary schema, also on Citus (distributed below, once it is complete: see create).
        try await pool.withTransaction { tx in
            try await tx.executeUnsafeStatements([
                "SET LOCAL citus.enable_schema_based_sharding TO off", "CREATE SCHEMA \(code.schema.quoted)",
            ])
        }
        let onCitus: Bool
        do {
            try await Self.runTool(
                "pg_restore", ["--single-transaction", "--no-owner", "--no-privileges", "--exit-on-error", "--schema=\(code.schema.name)", "--dbname=\(target)"],
                environment: try pool.configuration.libpqEnvironment(), stdout: nil, stdin: file)
            let restored = try await pool.query("SELECT to_regclass(\(code.schema.quoted + ".schema_history")) IS NOT NULL")
                .single().decode(Bool.self)
            guard restored else { throw CountyError("\(path): the archive holds no county \(code)") }
            // The archive carries no grants (another deployment's roles): this one's role gets its own.
            try await pool.withTransaction { tx in
                try await Self.setUpRole(code, writable: status == .active, on: tx)
                try await tx.query("""
                    INSERT INTO \(identifier: Self.controlSchema).county (code, name, region, schema_name, status, settings, purpose)
                    VALUES (\(code.value), \(name), \(region), \(code.schema.name), \(status.rawValue), \(JSONB(header.settings)), \(purpose.rawValue))
                    """)
            }
            onCitus = try await pool.query("SELECT to_regproc('pg_catalog.citus_version') IS NOT NULL").single().decode(Bool.self)
        } catch {
            _ = try? await pool.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(code.schema.quoted) CASCADE"))
            throw error
        }
        if onCitus { try await distribute(code, "imported") }
        return try await show(code)
    }

    /// Drops an archived county: its schema, its registry row and its role, in one transaction,
    /// with what the control schema keeps under its code: its queued jobs are cancelled, its
    /// undelivered notifications and its rollups (the comparison's figures) deleted; a leader's
    /// account of several counties loses it, an account of this county alone (a member's, a
    /// unit's, its staff's) is disabled and signed out; each account's change is in its events. The role stays when it cannot be dropped (it has rights in another
    /// database of the server, whose county has the same code, or the operator may not drop
    /// roles): then the result says why, and the county is dropped all the same.
    @discardableResult
    public func drop(_ code: CountyCode, confirm: String) async throws -> Dropped {
        guard confirm == code.value else {
            throw CountyError("county drop: --confirm must repeat the code (\(code))")
        }
        let county = try await show(code)
        guard county.status == .archived else {
            throw CountyError("county \(code) is active: archive it before dropping it")
        }
        let control = Self.controlSchema
        return try await pool.withTransaction { tx -> Dropped in
            try await tx.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(code.schema.quoted) CASCADE"))
            try await tx.query("DELETE FROM \(identifier: control).county WHERE code = \(code.value)")
            var dropped = Dropped(county: code.value)
            dropped.jobsCancelled = try await tx.execute("""
                UPDATE \(identifier: control).job SET state = 'cancelled', finished_at = now(), dedupe_key = NULL,
                    last_error = 'county dropped'
                WHERE county = \(code.value) AND state = 'available'
                """)
            try await tx.query("DELETE FROM \(identifier: control).job_fairness WHERE county = \(code.value)")
            dropped.notificationsDeleted = try await tx.execute("""
                DELETE FROM \(identifier: control).notification WHERE county = \(code.value) AND state = 'pending'
                """)
            try await tx.query("DELETE FROM \(identifier: control).county_rollup WHERE county = \(code.value)")
            // A leader of several counties loses this one; an account of this county alone
            // keeps its code (every account but an operator's has a county) and is disabled.
            let accounts = try await tx.query("""
                UPDATE \(identifier: control).account
                SET counties = CASE WHEN cardinality(counties) > 1 THEN array_remove(counties, \(code.value)) ELSE counties END,
                    disabled_at = CASE WHEN cardinality(counties) = 1 THEN coalesce(disabled_at, now()) ELSE disabled_at END
                WHERE \(code.value) = ANY(counties)
                RETURNING id, \(code.value) = ANY(counties)
                """).decode((Int64, Bool).self)
            let disabled = accounts.filter(\.1).map(\.0)
            dropped.accountsChanged = accounts.count
            dropped.accountsDisabled = disabled.count
            if !disabled.isEmpty {
                try await tx.query("""
                    UPDATE \(identifier: control).account_session SET revoked_at = now()
                    WHERE account_id = ANY(\(disabled)::bigint[]) AND revoked_at IS NULL
                    """)
            }
            if !accounts.isEmpty {
                try await tx.query("""
                    INSERT INTO \(identifier: control).account_event (account_id, actor, action, detail)
                    SELECT id, \(actor), 'county-dropped', jsonb_build_object('county', \(code.value)::text, 'disabled', id = ANY(\(disabled)::bigint[]))
                    FROM unnest(\(accounts.map(\.0))::bigint[]) AS a(id)
                    """)
            }
            // In a savepoint: a role that cannot go leaves the rest of the drop intact.
            do {
                try await tx.withTransaction { savepoint in
                    try await savepoint.query("DROP ROLE IF EXISTS \(identifier: code.role)")
                }
            } catch let error as PostgresError where error.sqlState == .dependentObjectsStillExist || error.sqlState == .insufficientPrivilege {
                dropped.roleKept = RoleKept(role: code.role.name, reason: error.message.split(whereSeparator: \.isNewline).joined(separator: " "))
            }
            return dropped
        }
    }

    /// What `drop` did besides the schema and the registry row.
    public struct Dropped: Sendable, CustomStringConvertible {
        public var county: String
        public var jobsCancelled = 0
        public var notificationsDeleted = 0
        public var accountsChanged = 0
        public var accountsDisabled = 0
        public var roleKept: RoleKept?

        public var description: String {
            var parts = ["dropped county \(county)"]
            parts.append("\(jobsCancelled) queued job(s) cancelled, \(notificationsDeleted) undelivered notification(s) deleted")
            parts.append("\(accountsChanged) account(s) had it: \(accountsDisabled) disabled (their only county), \(accountsChanged - accountsDisabled) lost it")
            if let roleKept { parts.append("\(roleKept)") }
            return parts.joined(separator: "; ")
        }
    }

    /// A dropped county's role that stayed, and why.
    public struct RoleKept: Sendable, CustomStringConvertible {
        public var role: String
        public var reason: String
        public var description: String { "role \(role) kept (\(reason)); drop it by hand once no database uses it" }
    }

    /// Runs a PostgreSQL client program off the cooperative pool, the connection in its
    /// environment (never on its command line); its stderr becomes the error.
    static func runTool(
        _ name: String, _ arguments: [String], environment: [String: String], stdout: FileHandle?, stdin: FileHandle?
    ) async throws {
        let merged = ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
            .merging(environment) { $1 }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = [name] + arguments
                    process.environment = merged
                    let errors = Pipe()
                    process.standardError = errors
                    if let stdout { process.standardOutput = stdout }
                    process.standardInput = stdin ?? FileHandle.nullDevice
                    try process.run()
                    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
                        throw CountyError("\(name) failed (exit \(process.terminationStatus)): \(line.isEmpty ? "no message" : String(line.prefix(500)))")
                    }
                })
            }
            thread.start()
        }
    }
}


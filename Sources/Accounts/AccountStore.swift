public import Counties
public import Foundation
public import PostgresClient
import TongxinBase
public import Workflow

/// An account as `account list` and `account show` print it (never a hash or a code).
public struct AccountRecord: Sendable, Hashable, Encodable {
    public let id: Int64
    public let login: String
    public let role: Role
    public let counties: [String]
    public let memberID: Int64?
    public let unitID: Int64?
    public let displayName: String
    public let dbLogin: String?
    public let disabled: Bool
    public let lockedUntil: Date?
    public let mustChange: Bool
    public let hasPassword: Bool
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, login, role, counties, displayName = "display_name", memberID = "member_id", unitID = "unit_id"
        case dbLogin = "db_login", disabled, lockedUntil = "locked_until", mustChange = "must_change"
        case hasPassword = "has_password", createdAt = "created_at"
    }

    /// The principal this account acts as.
    public var principal: Principal {
        Principal(login: login, role: role, counties: counties, memberID: memberID, unitID: unitID)
    }

    static let columns: PostgresQuery = """
        id, login, role, counties, member_id, unit_id, display_name, db_login, disabled_at IS NOT NULL,
        locked_until, must_change, password_hash IS NOT NULL, created_at
        """

    /// `columns` of the table aliased `a` (in a join).
    static let qualifiedColumns: PostgresQuery = """
        a.id, a.login, a.role, a.counties, a.member_id, a.unit_id, a.display_name, a.db_login, a.disabled_at IS NOT NULL,
        a.locked_until, a.must_change, a.password_hash IS NOT NULL, a.created_at
        """

    init(_ row: PostgresRow) throws {
        try self.init(values: row.decode((Int64, String, String, [String], Int64?, Int64?, String, String?, Bool, Date?, Bool, Bool, Date).self))
    }

    /// `columns` and then one flag.
    static func decodeWithFlag(_ row: PostgresRow) throws -> (AccountRecord, Bool) {
        let v = try row.decode((Int64, String, String, [String], Int64?, Int64?, String, String?, Bool, Date?, Bool, Bool, Date, Bool).self)
        return (try AccountRecord(values: (v.0, v.1, v.2, v.3, v.4, v.5, v.6, v.7, v.8, v.9, v.10, v.11, v.12)), v.13)
    }

    init(values: (Int64, String, String, [String], Int64?, Int64?, String, String?, Bool, Date?, Bool, Bool, Date)) throws {
        let (id, login, role, counties, memberID, unitID, name, dbLogin, disabled, locked, mustChange, hasPassword, created) = values
        self.id = id
        self.login = login
        self.role = Role(rawValue: role) ?? .leader
        self.counties = counties
        self.memberID = memberID
        self.unitID = unitID
        self.displayName = name
        self.dbLogin = dbLogin
        self.disabled = disabled
        self.lockedUntil = locked
        self.mustChange = mustChange
        self.hasPassword = hasPassword
        self.createdAt = created
    }
}

/// A new account: who it is and where it belongs.
public struct NewAccount: Sendable {
    public var login: String
    public var role: Role
    public var counties: [CountyCode]
    /// The member (role member): by name, unique among the county's active members.
    public var member: String?
    /// The handling unit (role unit): by name.
    public var unit: String?
    public var displayName: String?
    /// The PostgreSQL login that acts as this account in the CLI.
    public var dbLogin: String?

    public init(login: String, role: Role, counties: [CountyCode] = [], member: String? = nil, unit: String? = nil,
                displayName: String? = nil, dbLogin: String? = nil) {
        self.login = login
        self.role = role
        self.counties = counties
        self.member = member
        self.unit = unit
        self.displayName = displayName
        self.dbLogin = dbLogin
    }
}

/// The deployment's password and lock policy (`account_policy`).
public struct AccountPolicy: Sendable, Hashable, Encodable {
    public var cost: Secrets.Cost
    public var lockAfter: Int
    public var lockMinutes: Int

    enum CodingKeys: String, CodingKey { case hashOps = "hash_ops", hashMemoryKiB = "hash_mem_kib", lockAfter = "lock_after", lockMinutes = "lock_minutes" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cost.ops, forKey: .hashOps)
        try c.encode(cost.memoryKiB, forKey: .hashMemoryKiB)
        try c.encode(lockAfter, forKey: .lockAfter)
        try c.encode(lockMinutes, forKey: .lockMinutes)
    }
}

/// The accounts of the deployment, in the control schema: adding and managing them (the
/// operator's), and signing in, passwords and sessions (`AccountStore+SignIn.swift`). Every
/// change is recorded in `account_event` with who made it; no password or code is ever
/// written anywhere but as its hash.
public struct AccountStore: Sendable {
    public let pool: PostgresPool
    /// Who manages accounts (recorded in `account_event`).
    public let actor: String

    public init(pool: PostgresPool, actor: String) {
        self.pool = pool
        self.actor = actor
    }

    static var schema: PostgresIdentifier { CountyRegistry.controlSchema }

    /// How long a one-time code is valid.
    public static let codeLifetime: TimeInterval = 24 * 3600

    static func checkedLogin(_ text: String, field: String = "login") throws -> String {
        let login = text.trimmingCharacters(in: .whitespaces).lowercased()
        let bytes = Array(login.utf8)
        let allowed = { (b: UInt8) in (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 46 || b == 95 || b == 45 }
        guard (3...64).contains(bytes.count), let first = bytes.first, allowed(first), first != 46, first != 95, first != 45,
              bytes.allSatisfy(allowed) else {
            throw WorkflowError("\(field): \"\(text.prefix(40))\" is not a login (3–64 of a–z, 0–9, '.', '_', '-', starting with a letter or digit)")
        }
        return login
    }

    // MARK: Adding and managing

    /// Adds an account without a password: the person signs in once with the returned one-time
    /// code (valid 24 h) and must then choose a password.
    public func add(_ new: NewAccount) async throws -> (account: AccountRecord, code: String) {
        try await pool.withTransaction { tx in try await add(new, on: tx) }
    }

    /// Adds several accounts in one transaction: all or none. A member's or unit's account with
    /// an empty login gets `<county>.m<member id>` or `<county>.u<unit id>`.
    public func addMany(_ news: [NewAccount]) async throws -> [(account: AccountRecord, code: String)] {
        try await pool.withTransaction { tx in
            var made: [(account: AccountRecord, code: String)] = []
            for (i, new) in news.enumerated() {
                do {
                    made.append(try await add(new, on: tx))
                } catch let error as WorkflowError {
                    throw WorkflowError("account \(i + 1) (\(new.member ?? new.unit ?? new.login)): \(error.description)")
                }
            }
            return made
        }
    }

    func add(_ new: NewAccount, on tx: PostgresConnection) async throws -> (account: AccountRecord, code: String) {
        let generated = new.login.isEmpty && (new.member != nil || new.unit != nil)
        let login = generated ? "" : try Self.checkedLogin(new.login)
        let counties = Array(Set(new.counties.map(\.value))).sorted()
        switch new.role {
        case .operator:
            guard counties.isEmpty else { throw WorkflowError("--county: an operator's account belongs to no county") }
        case .leader:
            guard !counties.isEmpty else { throw WorkflowError("--county: a leader's account needs the counties it may read") }
        case .system:
            throw WorkflowError("--role: system is not an account's role")
        default:
            guard counties.count == 1 else { throw WorkflowError("--county: a \(new.role.rawValue)'s account belongs to exactly one county") }
        }
        guard (new.role == .member) == (new.member != nil) else {
            throw WorkflowError(new.role == .member ? "--member: a member's account names its member" : "--member: only a member's account names a member")
        }
        guard (new.role == .unit) == (new.unit != nil) else {
            throw WorkflowError(new.role == .unit ? "--unit: a unit's account names its handling unit" : "--unit: only a unit's account names a unit")
        }
        let dbLogin = try new.dbLogin.map { try Text.required($0, field: "--db-login", maximum: 63) }
        let code = try Secrets.oneTimeCode()
        let codeHash = Secrets.sha256Hex(Secrets.normalizedCode(code) ?? code)
        do {
            var registered = [String]()
            if !counties.isEmpty {
                registered = try await tx.query("""
                    SELECT code FROM \(identifier: Self.schema).county WHERE code = ANY(\(counties)) AND status = 'active'
                    """).decode(String.self)
            }
            if let missing = counties.first(where: { !registered.contains($0) }) {
                throw WorkflowError("--county: no active county \(missing)")
            }
            var memberID: Int64?
            var unitID: Int64?
            var displayName = new.displayName
            if let member = new.member, let code = counties.first {
                let name = try Text.required(member, field: "--member", maximum: 100)
                let ids = try await tx.query("""
                    SELECT id FROM \(identifier: try CountyCode(code).schema).member WHERE name = \(name) AND active
                    """).decode(Int64.self)
                guard let id = ids.first else {  // names are unique in a county
                    throw WorkflowError("--member: no active member \"\(name.prefix(60))\" in county \(code)")
                }
                memberID = id
                displayName = displayName ?? name
            }
            if let unit = new.unit, let code = counties.first {
                let name = try Text.required(unit, field: "--unit", maximum: 100)
                guard let id = try await tx.query("""
                    SELECT id FROM \(identifier: try CountyCode(code).schema).unit WHERE name = \(name) AND active
                    """).first?.decode(Int64.self) else {
                    throw WorkflowError("--unit: no active handling unit \"\(name.prefix(60))\" in county \(code)")
                }
                unitID = id
                displayName = displayName ?? name
            }
            let login = generated ? "\(counties.first ?? "")." + (memberID.map { "m\($0)" } ?? unitID.map { "u\($0)" } ?? "") : login
            let shown = try Text.required(displayName ?? login, field: "--name", maximum: 100)
            let rows: PostgresRows
            do {
                rows = try await tx.query("""
                    INSERT INTO \(identifier: Self.schema).account
                        (login, role, counties, member_id, unit_id, display_name, db_login, reset_code_hash, reset_expires_at)
                    VALUES (\(login), \(new.role.rawValue), \(counties)::text[], \(memberID), \(unitID), \(shown), \(dbLogin),
                            \(codeHash), now() + make_interval(secs => \(Self.codeLifetime)))
                    RETURNING \(fragment: AccountRecord.columns)
                    """)
            } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                throw WorkflowError(error.constraint == "account_db_login_key"
                    ? "--db-login: PostgreSQL login \(dbLogin ?? "") acts as another account already"
                    : "login: an account \(login) exists already")
            }
            let account = try AccountRecord(try rows.single())
            try await event(tx, account.id, "add", ["role": new.role.rawValue, "counties": counties.joined(separator: ",")])
            return (account, code)
        }
    }

    /// Accounts, by login; of one county (those that belong to it or may read it) or role.
    public func list(county: CountyCode? = nil, role: Role? = nil) async throws -> [AccountRecord] {
        try await pool.query("""
            SELECT \(fragment: AccountRecord.columns) FROM \(identifier: Self.schema).account
            WHERE (\(county?.value)::text IS NULL OR \(county?.value) = ANY(counties))
              AND (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
            ORDER BY login
            """).map { try AccountRecord($0) }
    }

    public func account(_ login: String) async throws -> AccountRecord {
        let login = try Self.checkedLogin(login)
        guard let row = try await pool.query("""
            SELECT \(fragment: AccountRecord.columns) FROM \(identifier: Self.schema).account WHERE login = \(login)
            """).first else { throw WorkflowError("login: no account \(login)") }
        return try AccountRecord(row)
    }

    /// Disables (every session ends) or enables an account.
    public func setDisabled(_ login: String, _ disabled: Bool) async throws -> AccountRecord {
        let login = try Self.checkedLogin(login)
        return try await pool.withTransaction { tx in
            // An account disabled when its county was dropped stays so: its member or unit is
            // gone, and a county made later with the same code is another county.
            if !disabled, let dropped = try await tx.query("""
                SELECT e.detail->>'county' FROM \(identifier: Self.schema).account_event e
                JOIN \(identifier: Self.schema).account a ON a.id = e.account_id
                WHERE a.login = \(login) AND e.action = 'county-dropped' AND (e.detail->>'county') = ANY(a.counties)
                LIMIT 1
                """).first?.decode(String.self) {
                throw WorkflowError("login: \(login) belonged to county \(dropped), which was dropped; add a new account instead")
            }
            guard let row = try await tx.query("""
                UPDATE \(identifier: Self.schema).account
                SET disabled_at = CASE WHEN \(disabled) THEN coalesce(disabled_at, now()) END
                WHERE login = \(login) RETURNING \(fragment: AccountRecord.columns)
                """).first else { throw WorkflowError("login: no account \(login)") }
            let account = try AccountRecord(row)
            if disabled { try await revokeSessions(tx, account.id) }
            try await event(tx, account.id, disabled ? "disable" : "enable")
            return account
        }
    }

    /// A new one-time code (valid 24 h, used once) in place of the password: the password is
    /// gone, every session ends, the lock is lifted, and a new password must be chosen.
    public func reset(_ login: String) async throws -> String {
        let login = try Self.checkedLogin(login)
        let code = try Secrets.oneTimeCode()
        let codeHash = Secrets.sha256Hex(Secrets.normalizedCode(code) ?? code)
        try await pool.withTransaction { tx in
            guard let id = try await tx.query("""
                UPDATE \(identifier: Self.schema).account
                SET password_hash = NULL, must_change = true, reset_code_hash = \(codeHash),
                    reset_expires_at = now() + make_interval(secs => \(Self.codeLifetime)), failed_count = 0, locked_until = NULL
                WHERE login = \(login) RETURNING id
                """).first?.decode(Int64.self) else { throw WorkflowError("login: no account \(login)") }
            try await revokeSessions(tx, id)
            try await event(tx, id, "reset")
        }
        return code
    }

    /// Grants a leader more counties to read (or takes them back), or links the PostgreSQL login
    /// that acts as the account in the CLI (`dbLogin: ""` unlinks it).
    public func grant(_ login: String, counties: [CountyCode] = [], revoke: [CountyCode] = [], dbLogin: String? = nil) async throws -> AccountRecord {
        let login = try Self.checkedLogin(login)
        let linked = try dbLogin.map { $0.isEmpty ? "" : try Text.required($0, field: "--db-login", maximum: 63) }
        return try await pool.withTransaction { tx in
            let current = try await account(tx, login)
            if !counties.isEmpty || !revoke.isEmpty {
                guard current.role == .leader else {
                    throw WorkflowError("--county: only a leader's counties are granted (a \(current.role.rawValue) belongs to one county)")
                }
                let added = counties.map(\.value)
                let known = try await tx.query("""
                    SELECT code FROM \(identifier: Self.schema).county WHERE code = ANY(\(added))
                    """).decode(String.self)
                if let missing = added.first(where: { !known.contains($0) }) { throw WorkflowError("--county: no county \(missing)") }
                let after = Set(current.counties).union(added).subtracting(revoke.map(\.value)).sorted()
                guard !after.isEmpty else { throw WorkflowError("--revoke: a leader keeps at least one county") }
                try await tx.query("UPDATE \(identifier: Self.schema).account SET counties = \(after)::text[] WHERE id = \(current.id)")
                try await event(tx, current.id, "grant", ["counties": after.joined(separator: ",")])
            }
            if let linked {
                do {
                    try await tx.query("""
                        UPDATE \(identifier: Self.schema).account SET db_login = nullif(\(linked), '') WHERE id = \(current.id)
                        """)
                } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                    throw WorkflowError("--db-login: PostgreSQL login \(linked) acts as another account already")
                }
                try await event(tx, current.id, "link", ["db_login": linked])
            }
            return try await account(tx, login)
        }
    }

    public func policy() async throws -> AccountPolicy {
        let (ops, memory, after, minutes) = try await pool.query("""
            SELECT hash_ops, hash_mem_kib, lock_after, lock_minutes FROM \(identifier: Self.schema).account_policy
            """).single().decode((Int, Int, Int, Int).self)
        return AccountPolicy(cost: Secrets.Cost(ops: ops, memoryKiB: memory), lockAfter: after, lockMinutes: minutes)
    }

    /// Sets the policy; a higher cost reaches each stored hash at its account's next sign-in.
    public func setPolicy(_ policy: AccountPolicy) async throws {
        do {
            try await pool.query("""
                UPDATE \(identifier: Self.schema).account_policy
                SET hash_ops = \(policy.cost.ops), hash_mem_kib = \(policy.cost.memoryKiB),
                    lock_after = \(policy.lockAfter), lock_minutes = \(policy.lockMinutes)
                """)
        } catch let error as PostgresError where error.sqlState == .checkViolation {
            throw WorkflowError("policy: out of range (hash ops 1–20, memory 8 KiB–4 GiB, lock after 1–100 failures, 1–1440 minutes)")
        }
    }

    // MARK: Principals

    /// The principal of an enabled account (an operator's `--as LOGIN`).
    public func principal(_ login: String) async throws -> Principal {
        let account = try await account(login)
        guard !account.disabled else { throw WorkflowError("--as: account \(account.login) is disabled") }
        return account.principal
    }

    /// Who the connected PostgreSQL login is: the account it is linked to (`db_login`), else an
    /// operator when it owns the control schema or the database (or is a superuser), else
    /// nobody (nil).
    public func connectedPrincipal() async throws -> (principal: Principal?, dbLogin: String) {
        try await pool.withConnection { connection in
            let (user, owner) = try await connection.query("""
                SELECT session_user::text,
                       coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user), false)
                       OR coalesce((SELECT pg_catalog.pg_has_role(session_user, n.nspowner, 'MEMBER')
                                    FROM pg_catalog.pg_namespace n WHERE n.nspname = \(Self.schema.name)), false)
                       OR coalesce((SELECT pg_catalog.pg_has_role(session_user, d.datdba, 'MEMBER')
                                    FROM pg_catalog.pg_database d WHERE d.datname = current_database()), false)
                """).single().decode((String, Bool).self)
            let rows: PostgresRows
            do {
                rows = try await connection.query("""
                    SELECT login, role, counties, member_id, unit_id, disabled FROM \(identifier: Self.schema).my_account()
                    """)
            } catch let error as PostgresError where error.sqlState == .undefinedFunction || error.sqlState == .undefinedTable
                || error.sqlState == .invalidSchemaName || error.sqlState == .insufficientPrivilege {
                // No accounts yet (the control schema predates them, or no registry at all).
                return (owner ? Principal(login: "pg:\(user)", role: .operator, counties: []) : nil, user)
            }
            if let row = rows.first {
                let (login, role, counties, member, unit, disabled) = try row.decode((String, String, [String], Int64?, Int64?, Bool).self)
                guard !disabled else { throw WorkflowError("account \(login) (PostgreSQL login \(user)) is disabled") }
                return (Principal(login: login, role: Role(rawValue: role) ?? .leader, counties: counties, memberID: member, unitID: unit), user)
            }
            return (owner ? Principal(login: "pg:\(user)", role: .operator, counties: []) : nil, user)
        }
    }

    // MARK: Inside

    func account(_ tx: PostgresConnection, _ login: String, lock: Bool = false) async throws -> AccountRecord {
        guard let row = try await tx.query("""
            SELECT \(fragment: AccountRecord.columns) FROM \(identifier: Self.schema).account WHERE login = \(login)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """).first else { throw WorkflowError("login: no account \(login)") }
        return try AccountRecord(row)
    }

    func event(_ tx: PostgresConnection, _ id: Int64, _ action: String, _ detail: [String: String] = [:], by who: String? = nil) async throws {
        try await tx.query("""
            INSERT INTO \(identifier: Self.schema).account_event (account_id, actor, action, detail)
            VALUES (\(id), \(who ?? actor), \(action), \(JSONText.object(detail))::jsonb)
            """)
    }

    func revokeSessions(_ tx: PostgresConnection, _ id: Int64) async throws {
        try await tx.query("""
            UPDATE \(identifier: Self.schema).account_session SET revoked_at = now() WHERE account_id = \(id) AND revoked_at IS NULL
            """)
    }
}

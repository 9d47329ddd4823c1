public import Foundation
import PostgresClient
import Synchronization
import TongxinBase
import Workflow

/// What a sign-in gives: the account, its new session's token (the browser keeps it; the
/// database only its hash), and whether a new password must be chosen first.
public struct SignedIn: Sendable {
    public let account: AccountRecord
    public let token: String
    public let mustChange: Bool
}

/// A session as `account show` lists it.
public struct SessionRecord: Sendable, Hashable, Encodable {
    public let createdAt: Date
    public let lastSeenAt: Date
    public let expiresAt: Date
    public let source: String?
    public let userAgent: String?

    enum CodingKeys: String, CodingKey {
        case createdAt = "created_at", lastSeenAt = "last_seen_at", expiresAt = "expires_at", source, userAgent = "user_agent"
    }
}

extension AccountStore {
    /// The one message of every failed sign-in: an unknown login, a wrong password or code, a
    /// disabled or locked account read the same (and take the same time: a hash is checked
    /// in every case).
    public static let signInFailure = "sign-in failed: wrong login or password (5 failures in a row lock an account for 15 minutes)"

    /// A session ends after 30 minutes unused, and 12 hours after sign-in at the latest.
    public static let sessionIdle: TimeInterval = 30 * 60
    public static let sessionLifetime: TimeInterval = 12 * 3600

    /// A source address is slowed after this many failures within `sourceWindow`.
    public static let sourceFailuresAllowed = 10
    public static let sourceWindow: TimeInterval = 15 * 60

    /// Counts the password checks made (for the test that unknown logins are checked too).
    static let hashChecks = Atomic<Int>(0)
    public static var passwordChecks: Int { hashChecks.load(ordering: .relaxed) }

    /// The hash an unknown login's password is checked against, made once with the policy's
    /// cost: an unknown login costs the time a known one does.
    private static let decoy = Mutex<(Secrets.Cost, String)?>(nil)

    static func decoyHash(_ cost: Secrets.Cost) throws -> String {
        if let (made, hash) = decoy.withLock({ $0 }), made == cost { return hash }
        let hash = try Secrets.hashPassword(String(decoding: try Secrets.randomBytes(24).map { 65 + $0 % 26 }, as: UTF8.self), cost: cost)
        decoy.withLock { $0 = (cost, hash) }
        return hash
    }

    /// Checks `secret` (a password, or the one-time code of a new or reset account) for
    /// `login` from `source`: after `lockAfter` failures in a row the account locks for
    /// `lockMinutes`; a source with many failures is slowed. Every failure is the same message.
    public func signIn(login typed: String, secret: String, source: String? = nil, userAgent: String? = nil) async throws -> SignedIn {
        let failure = WorkflowError(Self.signInFailure)
        let login = (try? Self.checkedLogin(typed)) ?? ""
        let source = source.map { String($0.prefix(100)) }
        if let source, let wait = try await sourceWait(source) {
            throw WorkflowError("sign-in: too many failed sign-ins from this address; try again in \(Int(wait.rounded(.up))) s")
        }
        let policy = try await policy()
        // Read without a lock, check the hash outside any transaction (it takes ~0.1 s), then
        // record the outcome under the row's lock.
        let stored = login.isEmpty ? nil : try await pool.query("""
            SELECT id, password_hash, reset_code_hash, reset_expires_at > now(), disabled_at IS NOT NULL, coalesce(locked_until > now(), false)
            FROM \(identifier: Self.schema).account WHERE login = \(login)
            """).first?.decode((Int64, String?, String?, Bool?, Bool, Bool).self)
        Self.hashChecks.add(1, ordering: .relaxed)
        let checkedHash = try stored?.1 ?? Self.decoyHash(policy.cost)
        let passwordOK = Secrets.verifyPassword(secret, hash: checkedHash)
        let codeOK: Bool = {
            guard let codeHash = stored?.2, stored?.3 == true, let code = Secrets.normalizedCode(secret) else { return false }
            return Secrets.equalInConstantTime(Secrets.sha256Hex(code), codeHash)
        }()
        guard let (id, hash, _, _, disabled, locked) = stored else {
            try await recordSourceFailure(source)
            throw failure
        }
        guard !disabled, !locked, passwordOK || codeOK else {
            try await pool.withTransaction { tx in
                if !disabled, !locked {
                    let lockedNow = try await tx.query("""
                        UPDATE \(identifier: Self.schema).account
                        SET failed_count = CASE WHEN failed_count + 1 >= \(policy.lockAfter) THEN 0 ELSE failed_count + 1 END,
                            locked_until = CASE WHEN failed_count + 1 >= \(policy.lockAfter)
                                                THEN now() + make_interval(mins => \(policy.lockMinutes)::int) ELSE locked_until END
                        WHERE id = \(id) RETURNING locked_until > now()
                        """).single().decode(Bool?.self)
                    if lockedNow == true { try await event(tx, id, "lock", ["minutes": String(policy.lockMinutes)], by: "sign-in") }
                }
                try await recordSourceFailure(source, on: tx)
            }
            throw failure
        }
        let rehash = passwordOK && hash.map { Secrets.needsRehash($0, cost: policy.cost) } == true
        let newHash = rehash ? try Secrets.hashPassword(secret, cost: policy.cost) : nil
        let token = try Secrets.sessionToken()
        return try await pool.withTransaction { tx in
            try await tx.query("""
                UPDATE \(identifier: Self.schema).account
                SET failed_count = 0, locked_until = NULL,
                    password_hash = coalesce(\(newHash), password_hash),
                    must_change = must_change OR \(codeOK && !passwordOK),
                    reset_code_hash = CASE WHEN \(codeOK && !passwordOK) THEN NULL ELSE reset_code_hash END,
                    reset_expires_at = CASE WHEN \(codeOK && !passwordOK) THEN NULL ELSE reset_expires_at END
                WHERE id = \(id)
                """)
            try await tx.query("""
                INSERT INTO \(identifier: Self.schema).account_session (token_hash, account_id, created_at, last_seen_at, expires_at, source, user_agent)
                VALUES (\(Secrets.sha256Hex(token)), \(id), now(), now(), now() + make_interval(secs => \(Self.sessionLifetime)),
                        \(source), \(userAgent.map { String($0.prefix(300)) }))
                """)
            var detail: [String: String] = codeOK && !passwordOK ? ["with": "one-time code"] : [:]
            if newHash != nil { detail["rehashed"] = "\(policy.cost.ops)/\(policy.cost.memoryKiB)" }
            try await event(tx, id, "sign-in", detail, by: login)
            let account = try await account(tx, login)
            return SignedIn(account: account, token: token, mustChange: account.mustChange)
        }
    }

    /// Sets a new password after checking the current one (or the one-time code): the rules
    /// apply, the code is spent, every other session ends. Failures count as a sign-in's.
    public func changePassword(login: String, current: String, new password: String, source: String? = nil) async throws {
        let checked = try Self.checkedLogin(login)
        try PasswordRules.check(password, login: checked, field: "new password")
        let signedIn = try await signIn(login: checked, secret: current, source: source)
        guard !Secrets.equalInConstantTime(current, password) else {
            throw WorkflowError("new password: must differ from the current one")
        }
        let policy = try await policy()
        let hash = try Secrets.hashPassword(password, cost: policy.cost)
        try await pool.withTransaction { tx in
            try await tx.query("""
                UPDATE \(identifier: Self.schema).account
                SET password_hash = \(hash), must_change = false, reset_code_hash = NULL, reset_expires_at = NULL,
                    password_changed_at = now()
                WHERE id = \(signedIn.account.id)
                """)
            try await revokeSessions(tx, signedIn.account.id)
            try await event(tx, signedIn.account.id, "password", [:], by: checked)
        }
    }

    /// The forced change after signing in with a one-time code (`must_change`): the session
    /// proves the code was just used (it is spent), so no current password is asked. Every
    /// session ends; the caller signs in again with the new password.
    public func setFirstPassword(session token: String, new password: String) async throws {
        guard let account = try await session(token), account.mustChange else {
            throw WorkflowError("new password: only right after signing in with a one-time code; otherwise give the current password")
        }
        try PasswordRules.check(password, login: account.login, field: "new password")
        let policy = try await policy()
        let hash = try Secrets.hashPassword(password, cost: policy.cost)
        try await pool.withTransaction { tx in
            try await tx.query("""
                UPDATE \(identifier: Self.schema).account
                SET password_hash = \(hash), must_change = false, reset_code_hash = NULL, reset_expires_at = NULL,
                    password_changed_at = now()
                WHERE id = \(account.id) AND must_change
                """)
            try await revokeSessions(tx, account.id)
            try await event(tx, account.id, "password", ["with": "one-time code's session"], by: account.login)
        }
    }

    /// The account of a live session, its last use moved on; nil when the token is unknown,
    /// revoked, idle for 30 minutes, older than 12 hours, or its account disabled. One read;
    /// the last use is written only when it is a minute old (a page's many requests, or many
    /// tabs, do not each write, nor wait on each other's row lock).
    public func session(_ token: String) async throws -> AccountRecord? {
        guard !token.isEmpty, token.count <= 100 else { return nil }
        let hash = Secrets.sha256Hex(token)
        guard let row = try await pool.query("""
            SELECT \(fragment: AccountRecord.qualifiedColumns), s.last_seen_at < now() - make_interval(secs => \(Self.sessionTouch))
            FROM \(identifier: Self.schema).account_session s JOIN \(identifier: Self.schema).account a ON a.id = s.account_id
            WHERE s.token_hash = \(hash) AND a.disabled_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > now()
              AND s.last_seen_at > now() - make_interval(secs => \(Self.sessionIdle))
            """).first else { return nil }
        let (account, stale) = try AccountRecord.decodeWithFlag(row)
        if stale {
            try await pool.query("""
                UPDATE \(identifier: Self.schema).account_session SET last_seen_at = now()
                WHERE token_hash = \(hash) AND revoked_at IS NULL
                """)
        }
        return account
    }

    /// How old a session's last use may be before a request writes it again.
    static let sessionTouch: TimeInterval = 60

    /// Ends a session (sign-out).
    public func signOut(_ token: String) async throws {
        try await pool.query("""
            UPDATE \(identifier: Self.schema).account_session SET revoked_at = now()
            WHERE token_hash = \(Secrets.sha256Hex(token)) AND revoked_at IS NULL
            """)
    }

    /// An account's live sessions, newest first.
    public func sessions(_ login: String) async throws -> [SessionRecord] {
        let login = try Self.checkedLogin(login)
        return try await pool.query("""
            SELECT s.created_at, s.last_seen_at, s.expires_at, s.source, s.user_agent
            FROM \(identifier: Self.schema).account_session s JOIN \(identifier: Self.schema).account a ON a.id = s.account_id
            WHERE a.login = \(login) AND s.revoked_at IS NULL AND s.expires_at > now()
              AND s.last_seen_at > now() - make_interval(secs => \(Self.sessionIdle))
            ORDER BY s.created_at DESC
            """).decode((Date, Date, Date, String?, String?).self).map {
            SessionRecord(createdAt: $0.0, lastSeenAt: $0.1, expiresAt: $0.2, source: $0.3, userAgent: $0.4)
        }
    }

    // MARK: Sources

    /// Seconds a slowed source must still wait, or nil.
    private func sourceWait(_ source: String) async throws -> Double? {
        let wait = try await pool.query("""
            SELECT extract(epoch FROM slowed_until - now())::float8 FROM \(identifier: Self.schema).signin_source
            WHERE source = \(source) AND slowed_until > now()
            """).first?.decode(Double.self)
        return wait
    }

    private func recordSourceFailure(_ source: String?) async throws {
        guard source != nil else { return }
        try await pool.withTransaction { tx in try await recordSourceFailure(source, on: tx) }
    }

    /// Counts a failure of `source` in its window; past the allowance the source waits 2^n
    /// seconds (at most 5 minutes) before its next attempt.
    private func recordSourceFailure(_ source: String?, on tx: PostgresConnection) async throws {
        guard let source else { return }
        try await tx.query("""
            INSERT INTO \(identifier: Self.schema).signin_source AS s (source, failures, first_at) VALUES (\(source), 1, now())
            ON CONFLICT (source) DO UPDATE
            SET failures = CASE WHEN s.first_at < now() - make_interval(secs => \(Self.sourceWindow)) THEN 1 ELSE s.failures + 1 END,
                first_at = CASE WHEN s.first_at < now() - make_interval(secs => \(Self.sourceWindow)) THEN now() ELSE s.first_at END,
                slowed_until = CASE WHEN s.first_at >= now() - make_interval(secs => \(Self.sourceWindow))
                                         AND s.failures + 1 > \(Self.sourceFailuresAllowed)
                                    THEN now() + make_interval(secs => least(300, power(2, s.failures + 1 - \(Self.sourceFailuresAllowed)))::float8)
                                    ELSE NULL END
            """)
    }
}

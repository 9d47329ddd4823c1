public import PostgresClient

/// Each county's PostgreSQL role, `tongxin_county_<code>` (NOLOGIN): committee staff log in as
/// roles of their own that are granted it (docs/operations.md, "County roles").
///
/// What it may do:
/// - in its county's schema: USAGE; SELECT, INSERT, UPDATE, DELETE on every table except
///   `audit_log` (SELECT and INSERT: append-only), `audit_head` (SELECT and UPDATE: an append
///   moves it) and `schema_history` (SELECT); USAGE and SELECT on its sequences. An archived
///   county's role may only read.
/// - in the control schema: what it holds as a member of `tongxin_staff`
///   (`migrations/control/0005_county_roles.sql`): read the registry and the rollups, enqueue and
///   cancel its own county's jobs (row-level security hides the others').
/// - nothing in another county's schema, and no TRUNCATE, REFERENCES or TRIGGER anywhere.
///
/// `county create` makes the role and its grants in the creation's transaction; every county
/// migration re-applies the grants in its file's transaction (new tables get them). The
/// statements are idempotent. Roles belong to the server, not the database: counties with one
/// code in two databases of one server share their role.
public enum CountyRoles {
    /// A county role's name is this prefix and the county's code.
    public static let prefix = "tongxin_county_"
    /// The role every county role is a member of: the control schema's rights.
    public static let staff = "tongxin_staff"

    /// The statement that makes the county's role if missing and grants it its rights in the
    /// county's schema as it is now (`writable`: false for an archived county, read only).
    /// Races with a creation or a drop of the same role (by another database's county of the
    /// same code) are retried.
    public static func setupScript(for code: CountyCode, writable: Bool) -> String {
        // Both names are validated identifiers ([a-z_][a-z0-9_]*): safe inside the literals.
        """
        DO $roles$
        DECLARE
            r constant text := '\(code.role.name)';
            s constant text := '\(code.schema.name)';
            writable constant boolean := \(writable);
        BEGIN
            FOR attempt IN 1..3 LOOP
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
                        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                    END IF;
                    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '\(staff)')
                       AND NOT pg_catalog.pg_has_role(r, '\(staff)', 'MEMBER') THEN
                        EXECUTE format('GRANT %I TO %I', '\(staff)', r);
                    END IF;
                    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, r);
                    IF writable THEN
                        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, r);
                        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, r);
                        IF to_regclass(format('%I.audit_log', s)) IS NOT NULL THEN
                            EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.audit_log FROM %I', s, r);
                        END IF;
                        IF to_regclass(format('%I.audit_head', s)) IS NOT NULL THEN
                            EXECUTE format('REVOKE INSERT, DELETE, TRUNCATE ON %I.audit_head FROM %I', s, r);
                        END IF;
                        IF to_regclass(format('%I.schema_history', s)) IS NOT NULL THEN
                            EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I.schema_history FROM %I', s, r);
                        END IF;
                    ELSE
                        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA %I FROM %I', s, r);
                        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, r);
                        EXECUTE format('REVOKE USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA %I FROM %I', s, r);
                        EXECUTE format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, r);
                    END IF;
                    RETURN;
                EXCEPTION WHEN duplicate_object OR unique_violation OR undefined_object THEN
                    -- Made, or dropped, meanwhile by another transaction: again, with what it left.
                    IF attempt = 3 THEN
                        RAISE;
                    END IF;
                END;
            END LOOP;
        END
        $roles$
        """
    }

    /// Whether the county's role exists with USAGE on the county's schema (a county created
    /// before county roles has none until `migrate up` makes it).
    public static func isSetUp(_ code: CountyCode, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            SELECT EXISTS (SELECT FROM pg_catalog.pg_roles r
                           WHERE r.rolname = \(code.role.name) AND has_schema_privilege(r.oid, \(code.schema.name)::text, 'USAGE'))
            """).single().decode(Bool.self)
    }

    /// The line the CLI shows when the connected role may not use the county.
    public static func refusal(_ code: CountyCode, user: String) -> String {
        "county \(code): role \(user) may not use this county (grant it \(code.role.name))"
    }

    /// When the connected role may not use the county's schema (no USAGE), the error to show
    /// instead of a permission error; nil when it may, or the schema is missing (another error
    /// explains that), or the check itself fails.
    public static func accessRefusal(_ code: CountyCode, pool: PostgresPool) async -> CountyError? {
        guard let rows = try? await pool.query("""
                SELECT current_user::text, has_schema_privilege(n.oid, 'USAGE')
                FROM pg_catalog.pg_namespace n WHERE n.nspname = \(code.schema.name)
                """),
            let row = rows.first,
            let (user, usable) = try? row.decode((String, Bool).self),
            !usable
        else { return nil }
        return CountyError(refusal(code, user: user))
    }
}

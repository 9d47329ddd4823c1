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
            tables text;
            everything text;
            sequences text;
            special record;
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
                    -- The schema's tables and sequences, through their dependency on it (an index
                    -- lookup: GRANT … ON ALL TABLES IN SCHEMA reads all of pg_class, which grows
                    -- with every county).
                    SELECT string_agg(format('%I.%I', s, c.relname), ', ')
                               FILTER (WHERE c.relkind <> 'S' AND c.relname NOT IN ('audit_log', 'audit_head', 'schema_history')),
                           string_agg(format('%I.%I', s, c.relname), ', ') FILTER (WHERE c.relkind <> 'S'),
                           string_agg(format('%I.%I', s, c.relname), ', ') FILTER (WHERE c.relkind = 'S')
                      INTO tables, everything, sequences
                      FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
                     WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = to_regnamespace(s)::oid
                       AND d.refobjsubid = 0 AND d.classid = 'pg_catalog.pg_class'::regclass
                       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S');
                    IF writable THEN
                        IF tables IS NOT NULL THEN
                            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO %I', tables, r);
                        END IF;
                        IF sequences IS NOT NULL THEN
                            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', sequences, r);
                        END IF;
                        -- The audit log is append-only; its chain's head only moves; the history is the operator's.
                        FOR special IN SELECT * FROM (VALUES ('audit_log', 'SELECT, INSERT', 'UPDATE, DELETE, TRUNCATE'),
                                                             ('audit_head', 'SELECT, UPDATE', 'INSERT, DELETE, TRUNCATE'),
                                                             ('schema_history', 'SELECT', 'INSERT, UPDATE, DELETE, TRUNCATE'))
                                                     AS v(name, granted, refused) LOOP
                            IF to_regclass(format('%I.%I', s, special.name)) IS NOT NULL THEN
                                EXECUTE format('GRANT %s ON %I.%I TO %I', special.granted, s, special.name, r);
                                EXECUTE format('REVOKE %s ON %I.%I FROM %I', special.refused, s, special.name, r);
                            END IF;
                        END LOOP;
                    ELSE
                        IF everything IS NOT NULL THEN
                            EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE %s FROM %I', everything, r);
                            EXECUTE format('GRANT SELECT ON TABLE %s TO %I', everything, r);
                        END IF;
                        IF sequences IS NOT NULL THEN
                            EXECUTE format('REVOKE USAGE, UPDATE ON SEQUENCE %s FROM %I', sequences, r);
                            EXECUTE format('GRANT SELECT ON SEQUENCE %s TO %I', sequences, r);
                        END IF;
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

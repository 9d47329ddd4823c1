public import Foundation
public import PostgresClient
import TongxinBase

/// The county's append-only, hash-chained audit log: every state change of a proposal or
/// suggestion, with who and when. No triggers (Citus): the application appends in the same
/// transaction as the change.
public enum AuditLog {
    /// The canonical text an entry's hash covers, as SQL over the row's columns and the
    /// previous hash; UTC epoch microseconds and jsonb's own text keep it independent of the
    /// session's TimeZone and of key order. The server's clock when the entry was recorded and
    /// who typed it for the actor come last: entries from before they were kept have neither
    /// (NULL), and concat_ws skips NULLs, so their hashes are what they were.
    static func hashExpression(previous: String, entry prefix: String = "") -> String {
        let p = prefix
        return """
            encode(sha256(convert_to(concat_ws('|', coalesce(\(previous), ''),
                (extract(epoch FROM \(p)at) * 1000000)::bigint::text, \(p)actor, \(p)entity, \(p)entity_id, \(p)action,
                \(p)detail::text, (extract(epoch FROM \(p)recorded_at) * 1000000)::bigint::text, \(p)entered_by), 'UTF8')), 'hex')
            """
    }

    /// The same hash as `hashExpression` for the head's UPDATE, with IMMUTABLE functions only
    /// (Citus refuses STABLE ones such as `convert_to` and `concat_ws` over columns in an UPDATE):
    /// the previous hash is hex, so its bytes are its text (`decode(…, 'escape')` with no
    /// backslash), and the rest of the text comes as bytes from `audit_entry.tail`.
    static let headHashExpression =
        "encode(sha256(decode(coalesce(h.hash, ''), 'escape') || audit_entry.tail), 'hex')"

    /// Appends one entry inside the caller's transaction; throws when the chain's head row is
    /// missing (nothing would be logged).
    public static func append(
        on tx: PostgresConnection, schema: PostgresIdentifier, actor: String, entity: String, entityID: String,
        action: String, detail: JSONB<[String: String]> = JSONB([:]), at: Date, enteredBy: String? = nil
    ) async throws {
        do {
            let rows = try await tx.query(appendQuery(
                schema: schema, actor: actor, entity: entity, entityID: entityID, action: action, detail: detail.value, at: at,
                enteredBy: enteredBy))
            try check(rows, schema: schema)
        } catch let error as PostgresError where isMissingHead(error) {
            throw missingHead(schema)
        }
    }

    /// The one statement that appends an entry: it moves the chain's head (`audit_head`, whose
    /// row lock serializes a county's appends; an update that waited sees its rival's head) and
    /// inserts the entry with the previous and its own hash. Run it in the change's
    /// transaction, alone or in a pipeline. Without a head row the insert fails (hash is NOT
    /// NULL), so nothing is committed unlogged; `isMissingHead` recognizes that error.
    public static func appendQuery(
        schema: PostgresIdentifier, actor: String, entity: String, entityID: String, action: String,
        detail: JSONB<[String: String]>, at: Date, enteredBy: String? = nil
    ) -> PostgresQuery {
        appendQuery(schema: schema, actor: actor, entity: entity, entityID: entityID, action: action, detail: detail.value, at: at,
                    enteredBy: enteredBy)
    }

    /// The same with the detail as a flat object of strings (serialized here: the hot path
    /// avoids a JSONEncoder per entry).
    public static func appendQuery(
        schema: PostgresIdentifier, actor: String, entity: String, entityID: String, action: String,
        detail: [String: String], at: Date, enteredBy: String? = nil
    ) -> PostgresQuery {
        let entry = entryCTE(actor: actor, entity: entity, entityID: entityID, action: action, detail: detail, at: at, enteredBy: enteredBy)
        return """
            WITH \(fragment: entry), \(fragment: headCTE(schema))
            \(fragment: insertStatement(schema))
            """
    }

    /// The append as CTEs (`audit_entry`, `audit_head_moved`, `audit_logged`) to put in the
    /// WITH of a statement that also makes the change it logs: one statement for both.
    public static func appendCTEs(
        schema: PostgresIdentifier, actor: String, entity: String, entityID: String, action: String,
        detail: [String: String], at: Date, enteredBy: String? = nil
    ) -> PostgresQuery {
        let entry = entryCTE(actor: actor, entity: entity, entityID: entityID, action: action, detail: detail, at: at, enteredBy: enteredBy)
        return "\(fragment: entry), \(fragment: headCTE(schema)), audit_logged AS (\(fragment: insertStatement(schema)))"
    }

    private static func entryCTE(
        actor: String, entity: String, entityID: String, action: String, detail: [String: String], at: Date, enteredBy: String?
    ) -> PostgresQuery {
        let detail = JSONText.object(detail)
        // `tail`: the hashed text after the previous hash, as bytes, computed from the bind
        // values here, so that the head's UPDATE applies IMMUTABLE functions only (Citus rule 10).
        // `recorded_at` is the server's clock (the transaction's start), never the client's.
        return """
            audit_entry AS (SELECT e.*, convert_to('|' || concat_ws('|', (extract(epoch FROM e.at) * 1000000)::bigint::text,
                                       e.actor, e.entity, e.entity_id, e.action, e.detail::text,
                                       (extract(epoch FROM e.recorded_at) * 1000000)::bigint::text, e.entered_by), 'UTF8') AS tail
                            FROM (SELECT \(at)::timestamptz AS at, \(actor)::text AS actor, \(entity)::text AS entity,
                                         \(entityID)::text AS entity_id, \(action)::text AS action, \(detail)::jsonb AS detail,
                                         now() AS recorded_at, \(enteredBy)::text AS entered_by) e)
            """
    }

    private static func headCTE(_ schema: PostgresIdentifier) -> PostgresQuery {
        """
        audit_head_moved AS (UPDATE \(identifier: schema).audit_head h
                             SET prev = h.hash,
                                 hash = \(unescaped: headHashExpression)
                             FROM audit_entry WHERE h.one
                             RETURNING h.prev, h.hash)
        """
    }

    /// Without a head row the hash is NULL and the NOT NULL column refuses the entry.
    private static func insertStatement(_ schema: PostgresIdentifier) -> PostgresQuery {
        """
        INSERT INTO \(identifier: schema).audit_log (at, actor, entity, entity_id, action, detail, recorded_at, entered_by, prev_hash, hash)
        SELECT e.at, e.actor, e.entity, e.entity_id, e.action, e.detail, e.recorded_at, e.entered_by, m.prev, m.hash
        FROM audit_entry e LEFT JOIN audit_head_moved m ON true
        """
    }

    /// The error of an append into a log whose chain head (`audit_head`) is missing.
    public static func isMissingHead(_ error: PostgresError) -> Bool {
        error.sqlState == .notNullViolation && error.table == "audit_log" && error.column == "hash"
    }

    /// The one-line error for a log without its chain head.
    public static func missingHead(_ schema: PostgresIdentifier) -> CountyError {
        CountyError("the audit log of \(schema.name) has no chain head (audit_head): run `tongxin migrate up`")
    }

    /// Throws unless the append's statement inserted its entry.
    public static func check(_ rows: PostgresRows, schema: PostgresIdentifier) throws {
        guard rows.affectedRows == 1 else { throw missingHead(schema) }
    }

    /// The first entry whose hash or link does not hold (an edit or a deletion before it), or nil.
    public static func firstBrokenEntry(on connection: PostgresConnection, schema: PostgresIdentifier) async throws -> Int64? {
        let rows = try await connection.query("""
            SELECT id FROM (
                SELECT id, hash, prev_hash, lag(hash) OVER (ORDER BY id) AS expected_previous,
                       \(unescaped: hashExpression(previous: "prev_hash")) AS recomputed
                FROM \(identifier: schema).audit_log
            ) chain
            WHERE hash <> recomputed OR prev_hash IS DISTINCT FROM expected_previous
            ORDER BY id LIMIT 1
            """)
        return try rows.first?.decode(Int64.self)
    }
}

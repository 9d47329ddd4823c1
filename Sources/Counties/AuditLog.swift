public import Foundation
public import PostgresClient

/// The county's append-only, hash-chained audit log: every state change of a proposal or
/// suggestion, with who and when. No triggers (Citus): the application appends in the same
/// transaction as the change.
public enum AuditLog {
    /// The canonical text an entry's hash covers, as SQL over the row's columns and the
    /// previous hash; UTC epoch microseconds and jsonb's own text keep it independent of the
    /// session's TimeZone and of key order.
    static func hashExpression(previous: String) -> String {
        """
        encode(sha256(convert_to(concat_ws('|', coalesce(\(previous), ''),
            (extract(epoch FROM at) * 1000000)::bigint::text, actor, entity, entity_id, action, detail::text), 'UTF8')), 'hex')
        """
    }

    /// Appends one entry inside the caller's transaction, whose search_path is the county's
    /// schema. Appends of one county are serialized (the chain has one order) by a transaction
    /// advisory lock taken as a statement of its own.
    public static func append(
        on tx: PostgresConnection, schema: PostgresIdentifier, actor: String, entity: String, entityID: String,
        action: String, detail: JSONB<[String: String]> = JSONB([:]), at: Date
    ) async throws {
        try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(\("tongxin.audit:" + schema.name), 0))")
        try await tx.query("""
            WITH previous AS (SELECT hash FROM \(identifier: schema).audit_log ORDER BY id DESC LIMIT 1),
                 entry AS (SELECT \(at)::timestamptz AS at, \(actor)::text AS actor, \(entity)::text AS entity,
                                  \(entityID)::text AS entity_id, \(action)::text AS action, \(detail)::jsonb AS detail)
            INSERT INTO \(identifier: schema).audit_log (at, actor, entity, entity_id, action, detail, prev_hash, hash)
            SELECT entry.at, entry.actor, entry.entity, entry.entity_id, entry.action, entry.detail, previous.hash,
                   \(unescaped: hashExpression(previous: "previous.hash"))
            FROM entry LEFT JOIN previous ON true
            """)
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

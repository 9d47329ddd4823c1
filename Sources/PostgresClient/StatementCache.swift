/// A statement's identity in the cache: its SQL text and parameter types.
struct StatementKey: Hashable {
    var sql: String
    var types: [UInt32]
}

/// Prepared statements of one connection, least recently used evicted first.
struct StatementCache {
    let capacity: Int
    private var entries: [StatementKey: (name: String, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var counter = 0
    /// Evicted statements still to DEALLOCATE on the server (sent with the next cache miss).
    var pendingDeallocations: [String] = []
    /// false behind a pooler that keeps prepared statements (pgbouncer ≥ 1.21, `statement_cache=on`):
    /// it keeps every name a client ever sent (even one whose preparation failed) and cannot be
    /// told to forget one (no DEALLOCATE of a name through it, and libpq 15 sends no Close). So
    /// such a cache hands out at most `capacity` names in the connection's life, and then runs
    /// further statements unnamed, instead of leaving the pooler a name for every statement
    /// ever evicted, failed or gone stale.
    var evicts = true

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

    /// Whether a new statement may be given a name (prepared and cached).
    var hasRoom: Bool {
        capacity > 0 && (evicts || counter < capacity)
    }

    mutating func lookup(_ key: StatementKey) -> String? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entries[key] = (entry.name, clock)
        return entry.name
    }

    mutating func newName() -> String {
        counter += 1
        return "tx_\(counter)"
    }

    mutating func insert(_ key: StatementKey, name: String) {
        // (A cache that may not evict never gets here full: it holds at most the names `hasRoom` let out.)
        if entries[key] == nil, entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            entries[oldest.key] = nil
            pendingDeallocations.append(oldest.value.name)
        }
        clock += 1
        entries[key] = (name, clock)
    }

    /// Forgets a statement; `exists` says whether the server still has it.
    mutating func remove(_ key: StatementKey, exists: Bool = true) {
        if let entry = entries.removeValue(forKey: key), exists {
            pendingDeallocations.append(entry.name)
        }
    }

    /// Forgets everything (after DISCARD ALL or a reconnect).
    mutating func reset() {
        entries.removeAll()
        pendingDeallocations.removeAll()
    }
}

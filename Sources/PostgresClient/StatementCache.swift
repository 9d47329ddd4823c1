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

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

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

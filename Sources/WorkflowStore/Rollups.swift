import Foundation
import JobQueue
import Synchronization

extension WorkflowStore {
    /// A step's reporting effect: every audited change asks for a fresh rollup of its year (the
    /// comparison reads rollups), unless this process already asked for that county, year and
    /// bucket. The jobs go with the step's other writes; the keys, once it commits, go to
    /// `RollupsAsked.shared.committed`.
    func askRollups(_ batch: Batch) -> Set<String> {
        let scope = "\(ObjectIdentifier(pool).hashValue)"
        let now = Date()
        var asked = Set<String>()
        for year in batch.auditedYears.sorted() {
            // Once a rollup of this bucket is committed, later changes of the bucket need none:
            // it runs after the bucket ends and sees them.
            let key = scope + "|" + WorkflowJobs.rollupKey(county, year: year, now: now)
            guard !RollupsAsked.shared.contains(key), let job = WorkflowJobs.rollupJob(county, year: year, now: now) else { continue }
            batch.append(.job(job))
            asked.insert(key)
        }
        return asked
    }
}

/// The rollups this process's committed steps asked for, in the current bucket: a long-running
/// client (an import, a service) asks once per county and bucket instead of once per step.
final class RollupsAsked: Sendable {
    static let shared = RollupsAsked()
    private let state = Mutex<(bucket: Int, keys: Set<String>)>((0, []))

    private static func bucket() -> Int { WorkflowJobs.rollupBucketEnd(Date()) }

    func contains(_ key: String) -> Bool {
        let bucket = Self.bucket()
        return state.withLock { $0.bucket == bucket && $0.keys.contains(key) }
    }

    func committed(_ keys: Set<String>) {
        guard !keys.isEmpty else { return }
        let bucket = Self.bucket()
        state.withLock { state in
            if state.bucket != bucket { state = (bucket, []) }
            state.keys.formUnion(keys)
        }
    }
}

public import Foundation
public import PostgresClient
import Synchronization

/// What must commit with a step: statements to run before its COMMIT (in order) and jobs to
/// enqueue in the same transaction. A workflow step fills one from its batch, a watcher returns
/// one with its outcome, a job handler adds to its job's; whoever owns the transaction sends
/// them all in one round trip with the COMMIT (`queries`), so the step's effects and the jobs it
/// starts commit together or not at all.
public final class PendingWrites: Sendable {
    private let state = Mutex<(statements: [PostgresQuery], jobs: [NewJob])>(([], []))

    public init() {}

    /// A statement to run before the commit, after those added before it.
    public func later(_ query: PostgresQuery) {
        state.withLock { $0.statements.append(query) }
    }

    /// Statements to run before the commit, in order.
    public func later(_ queries: [PostgresQuery]) {
        guard !queries.isEmpty else { return }
        state.withLock { $0.statements += queries }
    }

    /// Jobs to enqueue with the commit (checked now: a bad job fails the step, not the commit).
    public func enqueue(_ jobs: [NewJob]) throws {
        let checked = try jobs.map { try $0.validated() }
        guard !checked.isEmpty else { return }
        state.withLock { $0.jobs += checked }
    }

    /// Moves `other`'s statements and jobs after this one's.
    public func absorb(_ other: PendingWrites) {
        let (statements, jobs) = other.take()
        state.withLock {
            $0.statements += statements
            $0.jobs += jobs
        }
    }

    public var isEmpty: Bool { state.withLock { $0.statements.isEmpty && $0.jobs.isEmpty } }

    /// The statements and the jobs, leaving this empty.
    public func take() -> (statements: [PostgresQuery], jobs: [NewJob]) {
        state.withLock { state in
            defer { state = ([], []) }
            return state
        }
    }

    /// The statements, then one insert per county for the jobs (on the queue's clock `now`:
    /// nil, the server's), leaving this empty.
    public func queries(now: Date? = nil) throws -> [PostgresQuery] {
        let (statements, jobs) = take()
        return statements + (jobs.isEmpty ? [] : try JobQueue.enqueueQueries(jobs, now: now))
    }
}

import Counties
import Foundation
import JobQueue
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct JobQueueTests {
    @Test func jobsEnqueuedInATransactionCommitWithItOrNotAtAll() async throws {
        try await withQueue { _, pool in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { tx in
                    try await JobQueue.enqueue([NewJob(kind: "noop")], on: tx)
                    throw Abort()
                }
            }
            #expect(try await count(pool) == 0)
            let inserted = try await pool.withTransaction { tx in
                try await JobQueue.enqueue([NewJob(kind: "noop"), NewJob(kind: "noop", county: "leiyang")], on: tx)
            }
            #expect(inserted == 2)
            #expect(try await count(pool, state: "available") == 2)
        }
    }

    @Test func aDedupeKeyKeepsOneJobWhateverItsState() async throws {
        try await withQueue { _, pool in
            let job = NewJob(kind: "remind", county: "leiyang", dedupeKey: "leiyang:assignment:7:15d")
            let first = try await pool.withConnection { try await JobQueue.enqueue([job, job], on: $0) }
            #expect(first == 1)
            try await pool.withConnection { c in
                let claimed = try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), on: c)
                #expect(claimed.count == 1)
                #expect(try await JobQueue.complete(claimed, worker: "w", on: c) == 1)
            }
            let again = try await pool.withConnection { try await JobQueue.enqueue([job], on: $0) }
            #expect(again == 0)
            #expect(try await count(pool) == 1)
            #expect(try await count(pool, state: "completed") == 1)
        }
    }

    @Test func aScheduledJobIsClaimedOnlyOnceItsTimeHasCome() async throws {
        try await withQueue { _, pool in
            let later = Date().addingTimeInterval(3600)
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "noop", runAt: later)], on: c)
                #expect(try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), on: c).isEmpty)
                // A replayed clock just before: still not due; at its time: due.
                #expect(try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), now: later.addingTimeInterval(-1), on: c).isEmpty)
                let due = try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), now: later, on: c)
                #expect(due.count == 1)
                #expect(abs(due[0].runAt.timeIntervalSince(later)) < 0.001)
                #expect(due[0].attempt == 1)
            }
        }
    }

    @Test func claimsGoByPriorityThenDueTime() async throws {
        try await withQueue { _, pool in
            let now = Date()
            try await pool.withConnection { c in
                try await JobQueue.enqueue([
                    NewJob(kind: "b", runAt: now.addingTimeInterval(-10)),
                    NewJob(kind: "a", runAt: now.addingTimeInterval(-20)),
                    NewJob(kind: "urgent", priority: -1, runAt: now.addingTimeInterval(-1)),
                    NewJob(kind: "other-queue", queue: "mail", runAt: now.addingTimeInterval(-30)),
                ], on: c)
                let claimed = try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), queues: ["default"], on: c)
                #expect(claimed.map(\.kind) == ["urgent", "a", "b"])
                let mail = try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), queues: ["mail"], on: c)
                #expect(mail.map(\.kind) == ["other-queue"])
            }
        }
    }

    /// The workflow's clocks wait in the queue for months (reminders, deadlines, evaluation
    /// windows): a claim must read the due jobs, not walk every waiting one. With 20,000 jobs
    /// scheduled ahead and three due, the claim takes the three and its plan filters out
    /// (almost) no rows; walking the index to its end filtered out all 20,000.
    @Test func aClaimDoesNotWalkTheJobsScheduledAhead() async throws {
        try await withQueue { _, pool in
            let now = Date()
            try await pool.withConnection { c in
                let ahead = (0..<20_000).map { i in
                    NewJob(kind: "deadline.watch", county: "c\(i % 50)x", runAt: now.addingTimeInterval(3600 + Double(i) * 60))
                }
                try await JobQueue.enqueue(ahead, on: c)
                try await JobQueue.enqueue([
                    NewJob(kind: "due", county: "c1x", runAt: now.addingTimeInterval(-5)),
                    NewJob(kind: "due", county: "c2x"),
                    NewJob(kind: "urgent", county: "c3x", priority: -1, runAt: now.addingTimeInterval(-1)),
                ], on: c)
                try await c.query("ANALYZE tongxin.job")
                let claim = JobQueue.claimQuery(worker: "w", limit: 10, lease: .seconds(30), queues: nil, counties: nil, now: nil)
                try await c.query("BEGIN")
                try await c.query("SET LOCAL jit = off")
                let plan = try await c.query(PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) " + claim.sql, binds: claim.binds))
                    .single().decode(String.self)
                try await c.query("ROLLBACK")
                let removed = plan.split(separator: "\n").compactMap { line -> Int? in
                    guard line.contains("\"Rows Removed by Filter\"") else { return nil }
                    return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces.union(.punctuationCharacters)) ?? "")
                }.reduce(0, +)
                #expect(removed < 100, "the claim filtered out \(removed) rows:\n\(plan)")
                let claimed = try await JobQueue.claim(worker: "w", limit: 10, lease: .seconds(30), on: c)
                #expect(claimed.map(\.kind) == ["urgent", "due", "due"])
                #expect(try await count(pool, state: "available") == 20_000)
            }
        }
    }

    /// A job the client enqueues as due by its own clock, slightly ahead of the transaction's
    /// now(), behind a county's backlog: it is claimable as soon as it is due (its fair_at stays
    /// within the claim's horizon), not only once the backlog has passed.
    @Test func aJobDueByTheClientsClockIsClaimableBehindABacklog() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                // 10,000 jobs at once: the county's clock runs 10 s ahead.
                try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop", county: "flood"), count: 10_000), on: c)
            }
            try await pool.withConnection { c in
                try await c.withTransaction { tx in
                    try await tx.query("SELECT 1")  // the transaction (and its now()) begins
                    try await Task.sleep(for: .milliseconds(100))
                    try await JobQueue.enqueue([NewJob(kind: "late", county: "flood", runAt: Date())], on: tx)
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            let claimed = try await pool.withConnection { c in
                try await JobQueue.claim(worker: "w", limit: 20_000, lease: .seconds(30), on: c)
            }
            #expect(claimed.count == 10_001)
            #expect(claimed.last?.kind == "late")
        }
    }

    /// A claim locks only the jobs it takes: with one due job in each of two priorities, a
    /// claim of one leaves the other to a second worker claiming meanwhile.
    @Test func aClaimLocksOnlyWhatItTakes() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "first", priority: 0), NewJob(kind: "second", priority: 1)], on: c)
            }
            try await pool.withConnection { a in
                try await a.withTransaction { tx in
                    let mine = try await JobQueue.claim(worker: "a", limit: 1, lease: .seconds(30), on: tx)
                    #expect(mine.map(\.kind) == ["first"])
                    // Worker B claims while A's transaction still holds its locks.
                    let theirs = try await pool.withConnection { b in
                        try await JobQueue.claim(worker: "b", limit: 1, lease: .seconds(30), on: b)
                    }
                    #expect(theirs.map(\.kind) == ["second"])
                }
            }
        }
    }

    @Test func aFailedJobBacksOffThenDiesAndCanBeRetried() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "flaky", maxAttempts: 2)], on: c)
                var claimed = try await JobQueue.claim(worker: "w", limit: 1, lease: .seconds(30), on: c)
                #expect(try await JobQueue.fail([JobQueue.Failure(job: claimed[0], error: "boom", retryIn: 30)], worker: "w", on: c) == 1)
                let waiting = try await JobQueue.list(JobQueue.Filter(), on: c)[0]
                #expect(waiting.state == "available")
                #expect(waiting.lastError == "boom")
                #expect(waiting.runAt.timeIntervalSinceNow > 25 && waiting.runAt.timeIntervalSinceNow < 35)
                // Not due during the backoff; due after it.
                #expect(try await JobQueue.claim(worker: "w", limit: 1, lease: .seconds(30), on: c).isEmpty)
                claimed = try await JobQueue.claim(worker: "w", limit: 1, lease: .seconds(30), now: Date().addingTimeInterval(40), on: c)
                #expect(claimed.first?.attempt == 2)
                try await JobQueue.fail([JobQueue.Failure(job: claimed[0], error: "boom again", retryIn: 60)], worker: "w", on: c)
                let dead = try await JobQueue.list(JobQueue.Filter(states: [.dead]), on: c)
                #expect(dead.map(\.attempt) == [2])
                #expect(dead.first?.finishedAt != nil)
                let retried = try await JobQueue.retry(id: dead[0].id, on: c)
                #expect(retried.state == "available" && retried.attempt == 0)
                #expect(try await JobQueue.claim(worker: "w", limit: 1, lease: .seconds(30), on: c).count == 1)
                // Retrying a job that is not dead says so.
                let error = await thrownError { _ = try await JobQueue.retry(id: dead[0].id, on: c) }
                #expect("\(error.map { "\($0)" } ?? "")" == "job \(dead[0].id) is running, not dead or cancelled")
                let missing = await thrownError { _ = try await JobQueue.cancel(id: 999_999, on: c) }
                #expect("\(missing.map { "\($0)" } ?? "")" == "no job 999999")
            }
        }
    }

    @Test func aPermanentFailureIsDeadAtOnce() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "bad", maxAttempts: 5)], on: c)
                let claimed = try await JobQueue.claim(worker: "w", limit: 1, lease: .seconds(30), on: c)
                try await JobQueue.fail([JobQueue.Failure(job: claimed[0], error: "bad arguments", permanent: true)], worker: "w", on: c)
                #expect(try await JobQueue.list(JobQueue.Filter(states: [.dead]), on: c).map(\.attempt) == [1])
            }
        }
    }

    @Test func twoClaimersNeverHoldTheSameJob() async throws {
        try await withQueue { configuration, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop"), count: 3000), on: c)
            }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for w in 0..<3 {
                    group.addTask {
                        try await PostgresConnection.withConnection(configuration: configuration) { c in
                            var ids: [Int64] = []
                            while true {
                                let jobs = try await JobQueue.claim(worker: "w\(w)", limit: 37, lease: .seconds(30), on: c)
                                if jobs.isEmpty { return ids }
                                ids += jobs.map(\.id)
                            }
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claimed.count == 3000)
            #expect(Set(claimed).count == 3000)
        }
    }

    @Test func anExpiredLeaseIsRescuedAndItsOldHolderCannotCompleteIt() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "noop")], on: c)
                let mine = try await JobQueue.claim(worker: "dying", limit: 1, lease: .seconds(60), on: c)
                // A lease still running is not rescued. (A long lease, so a slow machine cannot
                // let it lapse between the claim and this check.)
                #expect(try await JobQueue.rescue(on: c) == 0)
                let leaseLeft = try await c.query(
                    "SELECT extract(epoch FROM lease_until - now())::float8 FROM \(identifier: JobQueue.schema).job"
                ).decode(Double.self)
                #expect(leaseLeft.count == 1 && leaseLeft[0] > 50 && leaseLeft[0] <= 60)
                // Its holder stops renewing and the lease runs out: the clock moves past it.
                try await c.execute("UPDATE \(identifier: JobQueue.schema).job SET lease_until = now() - interval '1 second'")
                #expect(try await JobQueue.rescue(on: c) == 1)
                let rescued = try await JobQueue.list(JobQueue.Filter(), on: c)[0]
                #expect(rescued.state == "available")
                #expect(rescued.lastError == "lease expired: worker dying stopped renewing it")
                let theirs = try await JobQueue.claim(worker: "alive", limit: 1, lease: .seconds(30), on: c)
                #expect(theirs.first?.attempt == 2)
                // The old holder's completion, inside its work's transaction, fails.
                let error = await thrownError {
                    try await c.withTransaction { tx in
                        _ = try await tx.query(JobQueue.completeQuery(mine, worker: "dying", strict: true))
                    }
                }
                #expect(error.map(JobQueue.isLeaseLost) == true)
                #expect(try await JobQueue.complete(mine, worker: "dying", on: c) == 0)
                #expect(try await JobQueue.complete(theirs, worker: "alive", on: c) == 1)
            }
        }
    }

    @Test func aJobOnItsLastAttemptWhoseLeaseExpiresIsDead() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "noop", maxAttempts: 1)], on: c)
                _ = try await JobQueue.claim(worker: "dying", limit: 1, lease: .milliseconds(100), on: c)
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await JobQueue.rescue(on: c) == 1)
                #expect(try await JobQueue.list(JobQueue.Filter(), on: c).map(\.state) == ["dead"])
            }
        }
    }

    @Test func oneCountysFloodDoesNotStarveAnother() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                // The clock is given, so the order does not depend on how fast this machine is:
                // 5,000 flood jobs at T, then one quiet job one second later.
                let t = Date(timeIntervalSinceNow: -3600)
                try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop", county: "flood"), count: 5000), now: t, on: c)
                try await JobQueue.enqueue([NewJob(kind: "noop", county: "quiet")], now: t.addingTimeInterval(1), on: c)
                // Without fairness the quiet county's job would come after all 5,000; with it,
                // only the flood's jobs of the second before it (one per millisecond) go first.
                var before = 0
                var found = false
                while !found {
                    let batch = try await JobQueue.claim(worker: "w", limit: 50, lease: .seconds(30), on: c)
                    if batch.isEmpty { break }
                    found = batch.contains { $0.county == "quiet" }
                    if !found { before += batch.count }
                }
                #expect(found)
                // Counted in whole batches of 50: the quiet job is the 1,001st or 1,002nd.
                #expect((950...1050).contains(before), "\(before) flood jobs ran before the quiet county's one")
                // A county enqueuing again keeps its place behind its own earlier jobs.
                try await JobQueue.enqueue([NewJob(kind: "noop", county: "flood")], on: c)
                let behind = try await c.query("""
                    SELECT (SELECT fair_at FROM tongxin.job ORDER BY id DESC LIMIT 1)
                         > (SELECT max(fair_at) FROM tongxin.job WHERE id < (SELECT max(id) FROM tongxin.job))
                    """).single().decode(Bool.self)
                #expect(behind)
            }
        }
    }

    @Test func finishedJobsArePrunedAfterTheRetention() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop"), count: 5), on: c)
                let jobs = try await JobQueue.claim(worker: "w", limit: 3, lease: .seconds(30), on: c)
                try await JobQueue.complete(jobs, worker: "w", on: c)
                #expect(try await JobQueue.prune(olderThan: .seconds(3600), on: c) == 0)
                try await c.query("UPDATE tongxin.job SET finished_at = now() - interval '2 hours' WHERE state = 'completed'")
                #expect(try await JobQueue.prune(olderThan: .seconds(3600), on: c) == 3)
                #expect(try await count(pool) == 2)
            }
        }
    }

    @Test func invalidJobsAreRefusedWithOneLine() async throws {
        let cases: [(NewJob, String)] = [
            (NewJob(kind: "Bad Kind"), "kind: \"Bad Kind\" is not a valid kind name"),
            (NewJob(kind: "noop", county: "x; DROP"), "county: \"x; DROP\" is not a valid county name"),
            (NewJob(kind: "noop", queue: ""), "queue: \"\" is not a valid queue name"),
            (NewJob(kind: "noop", maxAttempts: 0), "max attempts: 0, use 1 to 100"),
        ]
        for (job, message) in cases {
            let error = await thrownError { _ = try JobQueue.enqueueQueries([job]) }
            #expect("\(error.map { "\($0)" } ?? "")" == message)
        }
    }
}

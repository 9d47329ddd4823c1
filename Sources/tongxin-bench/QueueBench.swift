import Counties
import EmbeddedPostgres
import Foundation
import JobQueue
import Migrations
import PostgresClient
import Synchronization
import WorkflowStore
import TongxinBase

extension Bench {
    /// The job queue: batched enqueue, the `tongxin-worker` program's drain rate and memory, the
    /// same drain by pgqueuer and by pgbench running the queue's own claim and completion SQL
    /// (the floor of this design), pickup latency through the program on an idle queue, idle memory.
    static func queue(_ pool: PostgresPool) async throws {
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        _ = try await registry.migrateControl()
        // Earlier parts leave clocks and rollups in the queue: this part measures its own jobs.
        try await pool.query("DELETE FROM tongxin.job")
        let program = try sibling("tongxin-worker")
        let environment = ProcessInfo.processInfo.environment

        // 1. Batched enqueue: 10,000 jobs per statement, 4 counties. 2. The worker program
        // drains them (process start included) with batches of 100, in three rounds, each also
        // timing the floor of this design (the queue's own claim and completion statements run
        // by pgbench) and pgqueuer on as many jobs: the machine's noise then falls on all three
        // alike, and medians are compared. Then once with batches of 1,000.
        let total = 200_000
        let rounds = max(1, Int(environment["TONGXIN_BENCH_ROUNDS"] ?? "") ?? 3)
        let floor = try await FloorScript.make(pool, batch: 100, clients: 2)
        var pgqueuer: PgqueuerRunner?
        var pgqueuerProblem = ""
        do {
            pgqueuer = try await PgqueuerRunner.make(pool)
        } catch {
            pgqueuerProblem = "\(error)"
        }
        var enqueueRates: [Double] = []
        var ours: [Double] = []
        var peaks: [Double] = []
        var floors: [Double] = []
        var theirs: [Double] = []
        // TONGXIN_BENCH_BASELINE_WORKER names an earlier build of tongxin-worker (same control
        // schema): it drains as many jobs in each round too, and the two are set side by side.
        let baseline = environment["TONGXIN_BENCH_BASELINE_WORKER"].flatMap { $0.isEmpty ? nil : $0 }
        var baselines: [Double] = []
        for _ in 0..<rounds {
            enqueueRates.append(try await enqueueNoops(pool, total: total))
            let (rate, peak) = try await ourDrain(pool, program: program, environment: environment, total: total, batch: 100)
            ours.append(rate)
            peaks.append(peak)
            if let baseline {
                _ = try await enqueueNoops(pool, total: total)
                baselines.append(try await ourDrain(pool, program: baseline, environment: environment, total: total, batch: 100).rate)
            }
            _ = try await enqueueNoops(pool, total: total)
            floors.append(try await floor.run(pool, total: total))
            if let runner = pgqueuer {
                do {
                    theirs.append(try await runner.run(total: total, batch: 100, workers: 2))
                } catch {
                    pgqueuerProblem = "\(error)"
                    pgqueuer = nil
                }
            }
        }
        await pgqueuer?.close(pool)
        floor.remove()
        let ourRate = median(ours)
        report(String(format: "queue: enqueue %d no-op jobs in batches of 10,000, 4 counties (median of %d)", total, rounds),
               String(format: "%.0f jobs/s", median(enqueueRates)))
        report(String(format: "queue: tongxin-worker --drain --concurrency 2 --batch-size 100 drains %d no-op jobs, process start included (median of %d runs alternating with the next two; peak RSS %.1f MiB)",
                      total, rounds, peaks.max() ?? 0),
               String(format: "%.0f jobs/s", ourRate), value: ourRate, target: .atLeast(15_000, "15,000 jobs/s"))
        if let baseline {
            let theirRate = median(baselines)
            report(String(format: "queue: this tongxin-worker's drain against the baseline build %@, batches of 100, same server and run (medians of %d alternating runs, %.0f vs %.0f jobs/s)",
                          baseline, rounds, ourRate, theirRate),
                   String(format: "%.2f×", ourRate / theirRate))
        }
        let floorRate = median(floors)
        report(String(format: "queue: the floor: JobQueue's claim and completion SQL, batches of 100, by pgbench -M prepared -c 2 -j 2 on %d jobs, process start included (median of %d)",
                      total, rounds),
               String(format: "%.0f jobs/s", floorRate))
        report(String(format: "queue: tongxin-worker's drain (batches of 100) as a fraction of that floor (%.0f vs %.0f jobs/s)", ourRate, floorRate),
               String(format: "%.0f%%", ourRate / floorRate * 100))
        let versus = String(format: "queue: tongxin-worker's drain against pgqueuer's, batches of 100, same server and run (medians of %d alternating runs", rounds)
        if theirs.count == rounds, let runner = pgqueuer {
            let theirRate = median(theirs)
            report(String(format: "queue: pgqueuer %@ (asyncpg, 2 worker processes, batch_size=100, mode=drain) drains %d no-op jobs, process start included (median of %d)",
                          runner.version, total, rounds),
                   String(format: "%.0f jobs/s", theirRate))
            report(versus + String(format: ", %.0f vs %.0f jobs/s)", ourRate, theirRate), String(format: "%.2f×", ourRate / theirRate),
                   value: ourRate / theirRate, target: pgqueuerTarget)
        } else {
            unmeasured(versus + ")", reason: pgqueuerProblem, target: pgqueuerTarget)
        }

        _ = try await enqueueNoops(pool, total: total)
        let (rate1000, peak1000) = try await ourDrain(pool, program: program, environment: environment, total: total, batch: 1000)
        report(String(format: "queue: tongxin-worker --drain --concurrency 2 --batch-size 1000 drains %d no-op jobs, process start included (peak RSS %.1f MiB)",
                      total, peak1000),
               String(format: "%.0f jobs/s", rate1000), value: rate1000, target: .atLeast(15_000, "15,000 jobs/s"))

        // 3. Pickup latency through the worker program, listening: enqueue one job on an idle
        // queue, again every 10 ms; the server's clock gives each job's enqueue (its
        // transaction's start) and completion (the completing statement's start).
        try await pool.query("DELETE FROM tongxin.job")
        let listening = try SpawnedProcess(program, ["--concurrency", "2", "--batch-size", "100", "--log-level", "warning"], environment: environment)
        let listenStart = ContinuousClock.now
        while try await pool.query("""
            SELECT count(*) FROM pg_stat_activity WHERE query = \("LISTEN " + JobQueue.channel.quoted) AND pid <> pg_backend_pid()
            """).single().decode(Int.self) == 0 {
            guard ContinuousClock.now - listenStart < .seconds(30) else {
                listening.signal(SIGKILL)
                _ = await Task.detached { listening.waitForExit() }.value
                throw BenchError("tongxin-worker did not LISTEN within 30 s: \(listening.output.suffix(300))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let probes = 300
        try await pool.withConnection { connection in
            for i in 0..<probes {
                try await JobQueue.enqueue([NewJob(kind: "noop", args: "{\"n\": \(i)}")], on: connection)
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let probesSent = ContinuousClock.now
        while try await pool.query("SELECT count(*) FROM tongxin.job WHERE state = 'completed'").single().decode(Int.self) < probes {
            guard ContinuousClock.now - probesSent < .seconds(60) else { throw BenchError("tongxin-worker did not complete the pickup probes within 60 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        listening.signal(SIGTERM)
        let listeningStatus = await Task.detached { listening.waitForExit() }.value
        guard listeningStatus == 0 else { throw BenchError("tongxin-worker exited \(listeningStatus) on SIGTERM: \(listening.output.suffix(300))") }
        // The first 20 warm the worker's statements and the server's caches.
        var latencies = try await pool.query("""
            SELECT extract(epoch FROM finished_at - created_at)::float8 * 1000 FROM tongxin.job
            WHERE kind = 'noop' AND state = 'completed' ORDER BY id OFFSET 20
            """).decode(Double.self)
        latencies.sort()
        report(String(format: "queue: pickup latency through the tongxin-worker program (LISTEN, 2 runners), enqueue to completion on an idle queue by the server's clock (p99 %.2f ms; %d samples)",
                      latencies[min(latencies.count - 1, latencies.count * 99 / 100)], latencies.count),
               String(format: "p50 %.2f ms", latencies[latencies.count / 2]), value: latencies[latencies.count / 2], target: .atMost(5, "5 ms"))

        // 3b. A claim while the workflow's clocks wait ahead: 200,000 jobs scheduled over the
        // coming months, three due (a trickle: fewer than a batch).
        try await pool.query("DELETE FROM tongxin.job")
        try await pool.withConnection { connection in
            let base = Date()
            for chunk in 0..<20 {
                let jobs = (0..<10_000).map { i in
                    NewJob(kind: "deadline.watch", county: "bench_q\(i % 4)", runAt: base.addingTimeInterval(3600 + Double(chunk * 10_000 + i) * 60))
                }
                try await connection.withTransaction { tx in try await JobQueue.enqueue(jobs, on: tx) }
            }
        }
        try await pool.query("VACUUM ANALYZE tongxin.job")
        var claimTimes: [Double] = []
        try await pool.withConnection { connection in
            for _ in 0..<21 {
                try await JobQueue.enqueue((0..<3).map { _ in NewJob(kind: "noop", county: "bench_q0") }, on: connection)
                let start = ContinuousClock.now
                let claimed = try await JobQueue.claim(worker: "bench", limit: 100, lease: .seconds(30), on: connection)
                claimTimes.append(seconds(ContinuousClock.now - start) * 1000)
                guard claimed.count == 3 else { throw BenchError("a claim took \(claimed.count) jobs, not the 3 due") }
                try await connection.query("DELETE FROM tongxin.job WHERE state = 'running'")
            }
        }
        claimTimes.removeFirst()  // the first plans and warms the cache
        claimTimes.sort()
        report(String(format: "queue: a claim (batch 100) with 3 jobs due and 200,000 clocks waiting ahead (%d claims)", claimTimes.count),
               String(format: "p50 %.2f ms, max %.2f ms", claimTimes[claimTimes.count / 2], claimTimes[claimTimes.count - 1]))
        try await pool.query("DELETE FROM tongxin.job")
        try await pool.query("VACUUM ANALYZE tongxin.job")

        // 4. Realistic jobs: deadline reminders over 4 counties × 5,000 assigned proposals. Each
        // job reads its assignment, writes the reminder and its delivery job, and sleeps until
        // the next milestone, in the transaction that completes it.
        try await realisticJobs(pool, program: program, environment: environment)

        // 5. A dead worker's job: SIGKILL the worker running it; another worker (default lease
        // and rescue settings) runs it again.
        try await pool.query("DELETE FROM tongxin.job")
        try await pool.withConnection { c in try await JobQueue.enqueue([NewJob(kind: "noop", args: #"{"sleep_ms": 600000}"#)], on: c) }
        let victim = try SpawnedProcess(program, ["--log-level", "warning"], environment: environment)
        func attempt() async throws -> Int {
            try await pool.query("SELECT coalesce(max(attempt), 0) FROM tongxin.job WHERE state = 'running'").single().decode(Int.self)
        }
        let waitStart = ContinuousClock.now
        while try await attempt() < 1 {
            guard ContinuousClock.now - waitStart < .seconds(30) else { throw BenchError("the worker never started the job") }
            try await Task.sleep(for: .milliseconds(10))
        }
        victim.signal(SIGKILL)
        _ = await Task.detached { victim.waitForExit() }.value
        let killed = ContinuousClock.now
        let rescuer = try SpawnedProcess(program, ["--log-level", "warning"], environment: environment)
        while try await attempt() < 2 {
            guard ContinuousClock.now - killed < .seconds(120) else { throw BenchError("the job was not run again within 120 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let rerun = seconds(ContinuousClock.now - killed)
        rescuer.signal(SIGKILL)
        _ = await Task.detached { rescuer.waitForExit() }.value
        try await pool.query("DELETE FROM tongxin.job")
        report("queue: a SIGKILLed worker's job runs again on another worker (lease 15 s, rescue every 5 s)", String(format: "after %.1f s", rerun),
               value: rerun, target: .atMost(30, "30 s"))

        // 6. The worker program idle.
        let idle = try SpawnedProcess(program, ["--concurrency", "4", "--log-level", "warning"], environment: environment)
        try await Task.sleep(for: .seconds(2))
        let idleRSS = processMemoryMiB(idle.pid, field: "VmRSS:") ?? -1
        idle.signal(SIGTERM)
        let idleStatus = await Task.detached { idle.waitForExit() }.value
        guard idleStatus == 0 else { throw BenchError("tongxin-worker exited \(idleStatus) on SIGTERM: \(idle.output.suffix(300))") }
        report("queue: tongxin-worker idle (4 runners, listening), resident set", String(format: "%.1f MiB", idleRSS),
               value: idleRSS * 1_048_576 / 1e6, target: .atMost(40, "40 MB"))
    }

    static func realisticJobs(_ pool: PostgresPool, program: String, environment: [String: String]) async throws {
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        let perCounty = 5000
        var jobs: [NewJob] = []
        let remindAt = try LocalTime.parse("2021-05-26T09:00")
        for c in 0..<4 {
            let code = try CountyCode("bench_rem_\(c)")
            _ = try await registry.create(code: code, name: "提醒 \(c)", region: nil, purpose: .training)
            let store = try WorkflowStore(pool: pool, county: code, principal: .replaying("bench"), now: try LocalTime.parse("2021-02-20T09:00"))
            try await store.openSession(year: 2021, name: "第一次会议", openedOn: nil, closedOn: nil)
            for u in 0..<10 { try await store.addUnit("单位\(u)") }
            let schema = code.schema
            try await pool.withTransaction { tx in
                try await tx.query("""
                    INSERT INTO \(identifier: schema).proposal (session_id, number, title, category, kind, status, filed_at, registered_at, updated_at)
                    SELECT s.id, '2021-' || CASE WHEN g < 1000 THEN lpad(g::text, 3, '0') ELSE g::text END, '关于第' || g || '项工作的建议',
                           'livelihood', 'individual', 'assigned', '2021-03-05 10:00+08', '2021-03-08 10:00+08', '2021-03-10 09:00+08'
                    FROM \(identifier: schema).session s, generate_series(1, \(perCounty)) g
                    """)
                try await tx.query("""
                    INSERT INTO \(identifier: schema).assignment (proposal_id, unit_id, role, assigned_at, due_on)
                    SELECT p.id, (SELECT id FROM \(identifier: schema).unit ORDER BY id OFFSET (p.id % 10) LIMIT 1), 'lead',
                           '2021-03-10 09:00+08', '2021-06-10'
                    FROM \(identifier: schema).proposal p
                    """)
            }
            let rows = try await pool.query("SELECT proposal_id, unit_id FROM \(identifier: schema).assignment").decode((Int64, Int64).self)
            for (proposal, unit) in rows {
                let args = WorkflowJobs.DeadlineArgs(proposal: proposal, unit: unit, round: 1, due: "2021-06-10")
                jobs.append(try NewJob(kind: WorkflowJobs.deadline, county: code.value, arguments: args, runAt: remindAt,
                                       dedupeKey: WorkflowJobs.deadlineKey(code, args)))
            }
        }
        try await pool.withConnection { connection in
            for start in stride(from: 0, to: jobs.count, by: 5000) {
                try await connection.withTransaction { tx in
                    try await JobQueue.enqueue(Array(jobs[start..<min(jobs.count, start + 5000)]), on: tx)
                }
            }
        }
        try await pool.query("VACUUM ANALYZE tongxin.job")
        let start = ContinuousClock.now
        let child = try SpawnedProcess(
            program, ["--drain", "--queues", "default", "--as-of", "2021-05-26T09:00", "--concurrency", "2", "--batch-size", "100",
                      "--log-level", "warning"], environment: environment)
        let status = await Task.detached { child.waitForExit() }.value
        let elapsed = seconds(ContinuousClock.now - start)
        guard status == 0 else { throw BenchError("tongxin-worker --drain failed (\(status)): \(child.output.suffix(300))") }
        let notified = try await pool.withConnection { try await Outbox.count(kind: "deadline.remind", on: $0) }
        let snoozed = try await pool.query("""
            SELECT count(*) FROM tongxin.job WHERE kind = 'deadline.watch' AND state = 'available' AND run_at = '2021-06-03 09:00+08'
            """).single().decode(Int.self)
        guard notified == jobs.count, snoozed == jobs.count else {
            throw BenchError("realistic jobs: \(notified) reminders and \(snoozed) watchers asleep, of \(jobs.count)")
        }
        report(String(format: "queue: realistic jobs (deadline reminder: read the assignment, write the reminder and its delivery job, sleep until the next milestone; 4 counties): tongxin-worker drains %d, process start included",
                      jobs.count),
               String(format: "%.0f jobs/s", Double(jobs.count) / elapsed), value: Double(jobs.count) / elapsed, target: .atLeast(3_000, "3,000 jobs/s"))
    }

    /// Enqueues `total` no-op jobs, 10,000 per statement over 4 counties, then VACUUM ANALYZE;
    /// returns the enqueue rate.
    static func enqueueNoops(_ pool: PostgresPool, total: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await pool.withConnection { connection in
            var left = total
            var n = 0
            while left > 0 {
                let count = min(left, 10_000)
                try await connection.withTransaction { tx in
                    try await JobQueue.enqueue(Array(repeating: NewJob(kind: "noop", county: "bench_q\(n % 4)"), count: count), on: tx)
                }
                left -= count
                n += 1
            }
        }
        let rate = Double(total) / seconds(ContinuousClock.now - start)
        try await pool.query("VACUUM ANALYZE tongxin.job")
        return rate
    }

    /// The worker program drains `total` no-op jobs enqueued before (process start included);
    /// its rate and peak resident set. Leaves the queue empty and vacuumed.
    static func ourDrain(
        _ pool: PostgresPool, program: String, environment: [String: String], total: Int, batch: Int
    ) async throws -> (rate: Double, peakMiB: Double) {
        let start = ContinuousClock.now
        let child = try SpawnedProcess(
            program, ["--drain", "--concurrency", "2", "--batch-size", "\(batch)", "--log-level", "warning"], environment: environment)
        let peak = Mutex(0.0)
        let sampling = Task.detached {
            while !Task.isCancelled {
                if let hwm = processMemoryMiB(child.pid, field: "VmHWM:") { peak.withLock { $0 = max($0, hwm) } }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let status = await Task.detached { child.waitForExit() }.value
        let elapsed = seconds(ContinuousClock.now - start)
        sampling.cancel()
        guard status == 0 else { throw BenchError("tongxin-worker --drain failed (\(status)): \(child.output.suffix(300))") }
        let completed = try await pool.query("SELECT count(*) FROM tongxin.job WHERE state = 'completed' AND kind = 'noop'").single().decode(Int.self)
        guard completed == total else { throw BenchError("the worker completed \(completed) of \(total) jobs") }
        try await pool.query("DELETE FROM tongxin.job")
        try await pool.query("VACUUM ANALYZE tongxin.job")
        return (Double(total) / elapsed, peak.withLock { $0 })
    }

    static func sibling(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments.first ?? "tongxin-bench").deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("no \(name) program next to the benchmark at \(path)") }
        return path
    }

    /// A field of /proc/PID/status in MiB (VmRSS:, VmHWM:).
    static func processMemoryMiB(_ pid: Int32, field: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let kb = line.dropFirst(field.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first.flatMap { Double($0) }
            return kb.map { $0 / 1024 }
        }
        return nil
    }
}

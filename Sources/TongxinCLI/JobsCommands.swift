import Workflow
import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import WorkflowStore
import TongxinBase

/// `tongxin jobs …`: the job queue, for operators.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Enqueue, list, retry and cancel the worker's jobs.",
        subcommands: [Enqueue.self, List.self, Stats.self, Dead.self, Retry.self, Cancel.self]
    )

    struct Enqueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueue jobs of a kind (noop for smoke tests and benchmarks), in batches of 10,000.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The job kind (noop is built in).") var kind: String
        @Option(help: "How many.") var count: Int = 1
        @Option(help: "Queue name.") var queue: String = "default"
        @Option(help: "The county the jobs are for.") var county: String?
        @Option(help: "Arguments: a JSON object.") var args: String = "{}"
        @Option(help: "Not before this time (2021-06-30T09:00; local time unless a zone is given).") var runAt: String?
        @Option(help: "Lower runs first.") var priority: Int16 = 0
        @Option(help: "Attempts before the job is dead.") var maxAttempts: Int = 10
        @Option(help: "At most one job with this key (only with --count 1).") var dedupeKey: String?

        func validate() throws {
            guard (1...10_000_000).contains(count) else { throw ValidationError("--count: use 1 to 10000000") }
            if dedupeKey != nil, count != 1 { throw ValidationError("--dedupe-key: only with --count 1") }
        }

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                guard let object = try? JSONSerialization.jsonObject(with: Data(args.utf8)), object is [String: Any] else {
                    throw CommandFailure(message: "--args: not a JSON object")
                }
                let runAt = try self.runAt.map { try LocalTime.parse($0, field: "--run-at") }
                let job = NewJob(kind: kind, county: county, args: args, queue: queue, priority: priority, runAt: runAt,
                                 maxAttempts: maxAttempts, dedupeKey: dedupeKey)
                let start = ContinuousClock.now
                let inserted = try await PostgresConnection.withConnection(configuration: connection.configuration) { connection in
                    var inserted = 0
                    var left = count
                    while left > 0 {
                        let n = min(left, 10_000)
                        inserted += try await connection.withTransaction { tx in
                            try await JobQueue.enqueue(Array(repeating: job, count: n), on: tx)
                        }
                        left -= n
                    }
                    return inserted
                }
                let (s, atto) = (ContinuousClock.now - start).components
                let seconds = Double(s) + Double(atto) / 1e18
                let skipped = count - inserted
                print("enqueued \(inserted) \(kind) job\(inserted == 1 ? "" : "s") on queue \(queue)"
                      + (skipped > 0 ? " (\(skipped) skipped: dedupe key exists)" : "")
                      + String(format: " in %.2f s", seconds))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, by due time.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only these states (comma-separated: available, running, completed, cancelled, dead).") var state: String?
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "Only this county.") var county: String?
        @Option(help: "At most this many.") var limit: Int = 100

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                let states = try JobsCommand.states(state)
                try await JobsCommand.list(connection, output, JobQueue.Filter(states: states, queue: queue, kind: kind, county: county, limit: limit))
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead jobs (failed their last attempt): retry or cancel them.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "At most this many.") var limit: Int = 100

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                try await JobsCommand.list(connection, output, JobQueue.Filter(states: [.dead], limit: limit))
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs per queue and state, and how long the oldest due job has waited.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions

        struct Row: Encodable {
            let queue: String
            let available: Int
            let due: Int
            let running: Int
            let completed: Int
            let cancelled: Int
            let dead: Int
            let oldest_due_seconds: Double
        }

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                let stats = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await JobQueue.stats(on: $0) }
                let rows = stats.map {
                    Row(queue: $0.queue, available: $0.available, due: $0.due, running: $0.running, completed: $0.completed,
                        cancelled: $0.cancelled, dead: $0.dead, oldest_due_seconds: ($0.oldestDueSeconds * 1000).rounded() / 1000)
                }
                try output.emit(rows, columns: ["queue", "available", "due", "running", "completed", "cancelled", "dead", "oldest due (s)"], rows: rows.map {
                    [$0.queue, String($0.available), String($0.due), String($0.running), String($0.completed), String($0.cancelled), String($0.dead),
                     String(format: "%.1f", $0.oldest_due_seconds)]
                })
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a dead or cancelled job again, now, with fresh attempts.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The job's id.") var id: Int64

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                let job = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await JobQueue.retry(id: id, on: $0) }
                print("job \(job.id) (\(job.kind)) is available again")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an available or dead job: it will not run.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The job's id.") var id: Int64

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                let job = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await JobQueue.cancel(id: id, on: $0) }
                print("job \(job.id) (\(job.kind)) cancelled")
            }
        }
    }

    struct Row: Encodable {
        let id: Int64
        let queue: String
        let kind: String
        let county: String?
        let state: String
        let attempt: Int
        let max_attempts: Int
        let run_at: String
        let dedupe_key: String?
        let worker: String?
        let last_error: String?
        let finished_at: String?
    }

    static func states(_ text: String?) throws -> [JobState] {
        guard let text else { return [] }
        return try text.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let state = JobState(rawValue: name) else {
                throw CommandFailure(message: "--state: \"\(name.prefix(30))\" is not one of available, running, completed, cancelled, dead")
            }
            return state
        }
    }

    static func list(_ connection: ConnectionOptions, _ output: FormatOptions, _ filter: JobQueue.Filter) async throws {
        let records = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await JobQueue.list(filter, on: $0) }
        let rows = records.map {
            Row(id: $0.id, queue: $0.queue, kind: $0.kind, county: $0.county, state: $0.state, attempt: $0.attempt, max_attempts: $0.maxAttempts,
                run_at: LocalTime.iso($0.runAt), dedupe_key: $0.dedupeKey, worker: $0.worker, last_error: $0.lastError,
                finished_at: $0.finishedAt.map(LocalTime.iso))
        }
        try output.emit(rows, columns: ["id", "queue", "kind", "county", "state", "attempt", "run at", "last error"], rows: records.map {
            [String($0.id), $0.queue, $0.kind, $0.county ?? "", $0.state, "\($0.attempt)/\($0.maxAttempts)", LocalTime.display($0.runAt),
             String(($0.lastError ?? "").prefix(80))]
        })
    }
}

/// `tongxin notifications …`: the outbox the worker's jobs write.
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications", abstract: "What the worker told whom: reminders, overdue notices, escalations.",
        subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notifications, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only this county.") var county: String?
        @Option(help: "Only this kind (deadline.remind, deadline.overdue, deadline.escalate, …).") var kind: String?
        @Option(help: "Only pending or delivered ones.") var state: String?
        @Option(help: "Only this proposal or micro-suggestion number.") var subject: String?
        @Option(help: "At most this many.") var limit: Int = 100

        struct Row: Encodable {
            let id: Int64
            let county: String
            let kind: String
            let recipient: String
            let subject: String
            let message: String
            let created_at: String
            let state: String
            let channel: String?
            let idempotency_key: String
        }

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.manageJobs)
                let chosen: Outbox.State?
                if let state {
                    guard let known = Outbox.State(rawValue: state) else {
                        throw CommandFailure(message: "--state: \"\(state.prefix(20))\" is not pending or delivered")
                    }
                    chosen = known
                } else {
                    chosen = nil
                }
                let entries = try await PostgresConnection.withConnection(configuration: connection.configuration) { c in
                    try await Outbox.list(county: county, kind: kind, state: chosen, subject: subject, limit: limit, on: c)
                }
                let records = entries.map { e in
                    let n = e.notification
                    return Row(id: n.id, county: n.county, kind: n.kind, recipient: n.recipient, subject: n.subject, message: n.message,
                               created_at: LocalTime.iso(n.createdAt), state: e.state.rawValue, channel: e.channel,
                               idempotency_key: n.idempotencyKey)
                }
                try output.emit(records, columns: ["at", "county", "kind", "to", "subject", "state", "message"], rows: entries.map { e in
                    let n = e.notification
                    return [LocalTime.display(n.createdAt), n.county, n.kind, n.recipient, n.subject, e.state.rawValue, n.message]
                })
            }
        }
    }
}

import ArgumentParser
import Foundation
import Logging
import PostgresClient
import Synchronization
import TongxinWorker
import Workflow
import WorkflowStore
import TongxinBase

/// `tongxin demo …`: a realistic, deterministic year for the seed's six counties.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fill a county with a deterministic demo year, and summarize a county's year.",
        subcommands: [Fill.self, Summary.self])

    struct Fill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill the county with a year: sectors, members, units, a session, proposals along every path, micro-suggestions, activities.",
            discussion: "Profiles exist for leiyang (the seed's figures exactly), changning, linwu, lingling, zhaoping and macheng.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The year to fill.", transform: parseYear) var year = 2021
        @Option(help: "The profile (default: the county's code).") var profile: String?
        @Flag(help: "Replay the year through the worker: before each step, run the jobs due by then (reminders, overdue marks …), and after the last, those due by --replay-until.")
        var replay = false
        @Option(help: "With --replay: run the jobs due by this day after the last step (default: the year's last day).")
        var replayUntil: String?
        @Option(help: "With --replay: append the notifications as JSON lines to this file (default: not delivered anywhere but the outbox).")
        var notifyFile: String?

        func run() async throws {
            try await reportingFailures {
                let until = try replayUntil.map { try LocalTime.parse($0, field: "--replay-until") }
                let (report, replayed) = try await staff.withStore { store -> (DemoYearReport, ReplayCount?) in
                    let name = profile ?? store.county.value
                    guard let chosen = DemoProfile.profile(forCode: name) else {
                        throw CommandFailure(message: "--profile: no demo profile \"\(name.prefix(40))\" (profiles: \(DemoProfile.codes.joined(separator: ", ")))")
                    }
                    guard replay else { return (try await DemoYear.fill(store, profile: chosen, year: year), nil) }
                    let replayer = try DemoReplayer(store: store, notifyFile: notifyFile)
                    do {
                        let report = try await DemoYear.fill(store, profile: chosen, year: year, beforeStep: { time in
                            try await replayer.run(asOf: time)
                        })
                        let end = try until ?? LocalTime.time(on: CalendarDate(year: year, month: 12, day: 31), seconds: 86_399)
                        try await replayer.run(asOf: end)
                        let count = try await replayer.finish(county: store.county.value)
                        return (report, count)
                    } catch {
                        await replayer.close()
                        throw error
                    }
                }
                print("filled \(report.countyName) \(report.year): \(report.proposals) proposals, \(report.microSuggestions) micro-suggestions, \(report.activities) activities in \(report.transactions) transactions")
                if let replayed {
                    print("replayed through the worker: \(replayed.jobs) job runs, \(replayed.notifications) notifications (\(replayed.byKind))")
                }
            }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The county's year in figures, counted from its data.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let summary = try await staff.withStore { try await $0.summary(year: year) }
                switch output.format {
                case .table: print(summary.lines.joined(separator: "\n"))
                case .json: print(try JSONOutput.render(summary))
                case .csv:
                    // One figure per row, as its JSON key and value.
                    let object = try JSONSerialization.jsonObject(with: Data(try JSONOutput.render(summary).utf8)) as? [String: Any] ?? [:]
                    let rows = object.keys.sorted().map { key -> [String] in
                        let value = object[key]
                        if let list = value as? [Any] { return [key, list.map { "\($0)" }.joined(separator: "、")] }
                        return [key, value.map { "\($0)" } ?? ""]
                    }
                    try output.emit(summary, columns: ["figure", "value"], rows: rows)
                }
            }
        }
    }
}

struct ReplayCount: Sendable {
    var jobs: Int
    var notifications: Int
    var byKind: String
}

/// The worker, in this process, on a replayed clock: `run(asOf:)` runs the jobs due by then.
final class DemoReplayer: Sendable {
    let worker: JobWorker
    let jobs = Mutex(0)

    init(store: WorkflowStore, notifyFile: String?) throws {
        var logger = Logger(label: "tongxin.demo.worker")
        logger.logLevel = .warning
        let sink: any NotificationSink = if let notifyFile { try FileSink(path: notifyFile) } else { NullSink() }
        let configuration = WorkerConfiguration(concurrency: 1, batchSize: 200, counties: [store.county.value])
        let pool = JobWorker.pool(store.pool.configuration, configuration, logger)
        worker = JobWorker(pool: pool, worker: configuration, handlers: Worker.handlers(pool: pool, sink: sink), logger: logger)
    }

    func run(asOf time: Date) async throws {
        let n = try await worker.runDue(asOf: time)
        jobs.withLock { $0 += n }
    }

    /// Closes the worker's connections; what the replay did.
    func finish(county: String) async throws -> ReplayCount {
        let rows = try await worker.query("""
            SELECT kind, count(*) FROM tongxin.notification WHERE county = \(county) GROUP BY kind ORDER BY kind
            """)
        await close()
        let counts = try rows.decode((String, Int).self)
        return ReplayCount(
            jobs: jobs.withLock { $0 }, notifications: counts.reduce(0) { $0 + $1.1 },
            byKind: counts.isEmpty ? "none" : counts.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
    }

    func close() async { await worker.close() }
}

/// Keeps notifications in the outbox only (the demo's default).
struct NullSink: NotificationSink {
    var channel: String { "none" }
    func deliver(_ notification: OutboxNotification) async throws {}
}

import ArgumentParser
import Foundation
import Logging
import PostgresClient
import Reports
import Synchronization
import TongxinDemo
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
                    // Playing a year at its own dates is the operator's, in a demo or training county.
                    try await store.requireReplay()
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
        static let configuration = CommandConfiguration(abstract: "The county's year in figures, counted from its data: a short summary of the annual report (--format json|csv: the report itself).")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let summary = try await staff.withStore { try await AnnualReport.compute($0, year: year) }
                if output.format == .table {
                    print(summary.summaryLines.joined(separator: "\n"))
                } else {
                    // The annual report's JSON or table: the same figures as `report annual`.
                    try output.emit(summary, columns: ["指标 / figure", "值 / value", "计数 / count", "95% 区间 / interval"], rows: summary.rows)
                }
            }
        }
    }
}

import ArgumentParser
import Foundation
import Reports
import WorkflowStore

/// `tongxin report …`: the figures counties compare.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "A county's annual report and its unit league table.",
        subcommands: [Annual.self, Units.self])

    struct Annual: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every year-end figure and metric, bilingual, each rate with the count behind it and its 95% interval.",
            discussion: "As of --as-of (default now): what is overdue and which deadlines have passed. JSON keys are snake_case and stable.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "The year.") var year = 2021

        func run() async throws {
            try await reportingFailures {
                guard (2000...2100).contains(year) else { throw CommandFailure(message: "--year: \(year) is not a year from 2000 to 2100") }
                let report = try await staff.withStore { try await AnnualReport.compute($0, year: year) }
                if output.format == .table {
                    print("\(report.countyName) (\(report.county)) \(report.year)\(report.session.map { " \($0)" } ?? "") · 截至 as of \(report.asOf)")
                }
                try output.emit(report, columns: ["指标 / figure", "值 / value", "计数 / count", "95% 区间 / interval"], rows: report.rows)
            }
        }
    }

    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per handling unit: assigned, replied, on-time rate, overdue now, median days, A–D, satisfaction, re-handled; ranked above the minimum count.",
            discussion: "Units with at least league_minimum_count assignments (a county setting, default 10) are ranked by the lower end of the on-time rate's 95% Wilson interval, then of the satisfaction rate's.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "The year.") var year = 2021

        func run() async throws {
            try await reportingFailures {
                guard (2000...2100).contains(year) else { throw CommandFailure(message: "--year: \(year) is not a year from 2000 to 2100") }
                let report = try await staff.withStore { try await UnitReport.compute($0, year: year) }
                if output.format == .table {
                    print("\(report.county) \(report.year) · 承办单位 handling units · 排名门槛 ranked from \(report.minimumCount) assignments · 截至 as of \(report.asOf)")
                }
                try output.emit(report, columns: [
                    "名次 / rank", "承办单位 / unit", "交办 / assigned", "办复 / replied", "按时率 / on time", "95% 区间", "超期 / overdue",
                    "用时中位 / median days", "A", "B", "C", "D", "满意率 / satisfied", "重办 / re-handled",
                ], rows: report.units.map { u in
                    [u.rank.map(String.init) ?? "–", u.unit, String(u.assigned), String(u.replied), u.onTimeRate.display,
                     u.onTimeRate.intervalDisplay, String(u.overdueNow), u.medianDaysToReply.map { String(format: "%.1f", $0) } ?? "–",
                     String(u.replyCategories["A"] ?? 0), String(u.replyCategories["B"] ?? 0), String(u.replyCategories["C"] ?? 0),
                     String(u.replyCategories["D"] ?? 0), u.satisfactionRate.display, String(u.rehandled)]
                })
            }
        }
    }
}

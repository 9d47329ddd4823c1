import ArgumentParser
import Counties
import Foundation
import PostgresClient
import Reports
import Workflow
import WorkflowStore
import TongxinBase

/// `tongxin report …`: the figures counties compare.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "A county's annual report, its unit league table, and the comparison of counties.",
        subcommands: [Annual.self, Units.self, Compare.self])

    struct Annual: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every year-end figure and metric, bilingual, each rate with the count behind it and its 95% interval.",
            discussion: "As of --as-of (default now): what is overdue and which deadlines have passed. JSON keys are snake_case and stable.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @Option(help: "Write the report, with the unit league table, as one self-contained HTML page (printable on A4) to this file.")
        var html: String?

        func run() async throws {
            try await reportingFailures {
                guard (2000...2100).contains(year) else { throw CommandFailure(message: "--year: \(year) is not a year from 2000 to 2100") }
                let (report, units) = try await staff.withStore { store in
                    (try await AnnualReport.compute(store, year: year), html == nil ? nil : try await UnitReport.compute(store, year: year))
                }
                if let html {
                    try writeHTML(HTMLReport.page(comparison: nil, annual: report, units: units, generatedAt: LocalTime.iso(Date())), to: html)
                    return
                }
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
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @Option(help: "Write the league table as one self-contained HTML page (printable on A4) to this file.") var html: String?

        func run() async throws {
            try await reportingFailures {
                guard (2000...2100).contains(year) else { throw CommandFailure(message: "--year: \(year) is not a year from 2000 to 2100") }
                let report = try await staff.withStore { try await UnitReport.compute($0, year: year) }
                if let html {
                    try writeHTML(HTMLReport.page(comparison: nil, units: report, generatedAt: LocalTime.iso(Date())), to: html)
                    return
                }
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

extension ReportCommand {
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per county: the compared metrics with their counts, and ranks.",
            discussion: """
                Reads the per-county rollups the worker keeps fresh (within about half a minute of a change), so it stays fast \
                over thousands of counties; --live computes them now instead (for a few counties). A county ranks on a metric \
                only with at least league_minimum_count (10) behind it. Metrics for --sort: \
                \(ComparedMetric.allCases.map(\.rawValue).joined(separator: ", ")).
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @Option(help: "Only these counties (comma-separated codes).") var counties: String?
        @Flag(help: "Every county (the default).") var all = false
        @Option(help: "The metric to sort by (best first).") var sort = "on_time_rate"
        @Flag(help: "Compute each county's figures now instead of reading the rollups.") var live = false
        @Option(help: "With --live: as of this time (default now).") var asOf: String?
        @Option(name: .customLong("as"), help: "Act as this account (operators only).") var asLogin: String?
        @Option(help: "Minimum count behind a metric for a rank.") var minimumCount = 10
        @Option(help: "Write the comparison as one self-contained HTML page (SVG charts, printable on A4) to this file.")
        var html: String?
        @Option(help: "With --html: add this county's annual figures and unit league table.") var withCounty: String?

        func validate() throws {
            if all, counties != nil { throw ValidationError("--all and --counties: choose one") }
            if live, counties == nil { throw ValidationError("--live needs --counties (it computes each county's figures now)") }
            guard (1...100_000).contains(minimumCount) else { throw ValidationError("--minimum-count: use 1 to 100000") }
        }

        func run() async throws {
            try await reportingFailures {
                guard (2000...2100).contains(year) else { throw CommandFailure(message: "--year: \(year) is not a year from 2000 to 2100") }
                let metric = try ComparedMetric.parse(sort)
                let codes = try counties.map { text in
                    try text.split(separator: ",").map { part in
                        do {
                            return try CountyCode(part.trimmingCharacters(in: .whitespaces))
                        } catch {
                            throw CommandFailure(message: "--counties: \(error)")
                        }
                    }
                }
                let rows: [ComparisonRow]
                if live, let codes {
                    let now = try asOf.map { try LocalTime.parse($0) } ?? Date()
                    let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
                    do {
                        let principal = try await Principals.resolve(pool, as: asLogin)
                        var computed: [ComparisonRow] = []
                        for code in codes {
                            try Permissions.require(principal, .compareCounties, Target(county: code.value))
                            let store = try WorkflowStore(pool: pool, county: code, principal: principal, now: now)
                            let report = try await AnnualReport.compute(store, year: year)
                            computed.append(Comparison.row(report, computedAt: LocalTime.iso(now)))
                        }
                        await pool.close()
                        rows = computed
                    } catch {
                        await pool.close()
                        throw error
                    }
                } else {
                    let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 1))
                    let principal: Principal
                    do {
                        principal = try await Principals.resolve(pool, as: asLogin)
                        await pool.close()
                    } catch {
                        await pool.close()
                        throw error
                    }
                    for code in codes ?? [] { try Permissions.require(principal, .compareCounties, Target(county: code.value)) }
                    // A leader compares the counties it may read.
                    let codes = try codes ?? (principal.role == .leader ? principal.counties.map { try CountyCode($0) } : nil)
                    rows = try await PostgresConnection.withConnection(configuration: connection.configuration) { c in
                        // Imported peers (external) come with the deployment's own counties.
                        try await Comparison.fromRollups(year: year, counties: codes, on: c)
                            + Exchange.peerRows(year: year, counties: codes?.map(\.value), on: c)
                    }
                    if let codes {
                        let found = Set(rows.map(\.county))
                        if let missing = codes.first(where: { !found.contains($0.value) }) {
                            throw CommandFailure(message: "--counties: no rollup of \(missing) for \(year) (is the worker running? or use --live)")
                        }
                    }
                }
                let comparison = Comparison.ranked(rows, year: year, sort: metric, minimumCount: minimumCount)
                if let html {
                    var annual: AnnualReport?
                    var units: UnitReport?
                    if let withCounty {
                        let code = try CountyCode(withCounty)
                        let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
                        do {
                            let store = try WorkflowStore(pool: pool, county: code, principal: try await Principals.resolve(pool, as: asLogin), now: Date())
                            annual = try await AnnualReport.compute(store, year: year)
                            units = try await UnitReport.compute(store, year: year)
                            await pool.close()
                        } catch {
                            await pool.close()
                            throw error
                        }
                    }
                    try writeHTML(HTMLReport.page(comparison: comparison, annual: annual, units: units, generatedAt: LocalTime.iso(Date())), to: html)
                    return
                }
                if output.format == .json {
                    print(comparison.jsonText())
                    return
                }
                if output.format == .table {
                    print("\(year) · \(comparison.rows.count) counties · 按 sorted by \(metric.label) · 排名门槛 ranked from \(minimumCount)")
                }
                let shown: [ComparedMetric] = [.filed, .registrationRate, .onTimeRate, .satisfactionRate, .strictSatisfactionRate,
                                               .solvedRate, .rehandlingRate, .overdueNow, .medianDaysToReply, .proposalsPer100Members,
                                               .ratingsOnBehalf, .backdatedSteps]
                try output.emit(comparison, columns: ["名次 / rank", "县 / county", "名称 / name"] + shown.map(\.label), rows: comparison.rows.map { row in
                    let rank = (row.ranks[metric.rawValue] ?? nil).map(String.init) ?? "–"
                    return [rank, row.county + (row.external ? " *" : ""), row.countyName] + shown.map { m in
                        if m.isRate { return row.rates[m.rawValue]?.display ?? "–" }
                        guard let value = row.numbers[m.rawValue] ?? nil else { return "–" }
                        return m == .filed || m == .backdatedSteps ? String(Int(value)) : String(format: "%.1f", value)
                    }
                })
            }
        }
    }
}

/// Writes an HTML report (whole, or not at all) and says where.
func writeHTML(_ page: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try OutputPath.check(path, field: "--html")
    do {
        try Data(page.utf8).write(to: url, options: .atomic)
    } catch {
        throw CommandFailure(message: "--html: cannot write \(path): \(error.localizedDescription)")
    }
    print("wrote the HTML report to \(url.standardizedFileURL.path) (\(page.utf8.count / 1024) KiB)")
}

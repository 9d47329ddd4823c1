import ArgumentParser
import Foundation
import WorkflowStore

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
        @Option(help: "The year to fill.") var year = 2021
        @Option(help: "The profile (default: the county's code).") var profile: String?
        func run() async throws {
            try await reportingFailures {
                let report = try await staff.withStore { store in
                    let name = profile ?? store.county.value
                    guard let chosen = DemoProfile.profile(forCode: name) else {
                        throw CommandFailure(message: "--profile: no demo profile \"\(name.prefix(40))\" (profiles: \(DemoProfile.codes.joined(separator: ", ")))")
                    }
                    return try await DemoYear.fill(store, profile: chosen, year: year)
                }
                print("filled \(report.countyName) \(report.year): \(report.proposals) proposals, \(report.microSuggestions) micro-suggestions, \(report.activities) activities in \(report.transactions) transactions")
            }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The county's year in figures, counted from its data.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The year.") var year = 2021
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

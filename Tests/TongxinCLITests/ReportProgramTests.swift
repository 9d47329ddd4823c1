import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ReportProgramTests {
    @Test func annualReportAndComparisonFromTheRollupsOrLive() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration), "TONGXIN_COUNTY": "leiyang"]
            #expect(try await Programs.run("tongxin", ["county", "create", "leiyang", "--name", "耒阳市"], environment: env).status == 0)
            let filled = try await Programs.run("tongxin", ["demo", "fill", "--year", "2021"], environment: env)
            #expect(filled.status == 0, "\(filled.output)")
            let annual = try await Programs.run("tongxin", ["report", "annual", "--year", "2021", "--format", "json"], environment: env)
            #expect(annual.status == 0)
            let report = try JSONSerialization.jsonObject(with: Data(annual.output.utf8)) as? [String: Any] ?? [:]
            #expect(report["filed"] as? Int == 65 && report["registered"] as? Int == 57)
            #expect((report["on_time_rate"] as? [String: Any])?["of"] as? Int == 57)
            // No rollup yet: the comparison says so.
            let early = try await Programs.run("tongxin", ["report", "compare", "--year", "2021", "--counties", "leiyang"], environment: env)
            #expect(early.status == 1)
            #expect(early.lines == ["tongxin: --counties: no rollup of leiyang for 2021 (is the worker running? or use --live)"])
            // The changes asked for rollups; the worker runs them when due.
            let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
            let worker = try await Programs.run("tongxin-worker", ["--drain", "--queues", "rollup", "--as-of", soon], environment: env)
            #expect(worker.status == 0, "\(worker.output)")
            let compared = try await Programs.run("tongxin", ["report", "compare", "--year", "2021", "--all", "--format", "json"], environment: env)
            #expect(compared.status == 0, "\(compared.output)")
            let comparison = try JSONSerialization.jsonObject(with: Data(compared.output.utf8)) as? [String: Any] ?? [:]
            let rows = comparison["rows"] as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            let rates = rows.first?["rates"] as? [String: Any]
            #expect((rates?["on_time_rate"] as? [String: Any])?["count"] as? Int == 57)
            #expect((rows.first?["ranks"] as? [String: Any])?["on_time_rate"] as? Int == 1)
            let live = try await Programs.run(
                "tongxin", ["report", "compare", "--year", "2021", "--counties", "leiyang", "--live", "--format", "csv"], environment: env)
            #expect(live.status == 0)
            #expect(live.output.hasPrefix("名次 / rank,县 / county,名称 / name,提案 / filed,"))
            #expect(live.output.contains("1,leiyang,耒阳市,65,89.1% (57/64),100.0% (57/57)"))
            let bad = try await Programs.run("tongxin", ["report", "compare", "--sort", "speed"], environment: env)
            #expect(bad.status == 1)
            #expect(bad.lines.first?.hasPrefix("tongxin: --sort: \"speed\" is not one of") == true)
        }
    }
}

import Foundation
import PostgresTestSupport
import Reports
import Testing

/// Runs chromium headless (Debian's `chromium`; `make test` installs it) and returns its output.
func chromium(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw HTMLTestError("no chromium in /usr/bin: `make test` installs Debian's chromium for this test")
    }
    return try await offCooperativePool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

struct HTMLTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite struct HTMLReportTests {
    func comparison() -> Comparison {
        let rows = (0..<12).map { i in
            ComparisonRow(
                county: "c\(i)", countyName: i == 3 ? "<script>alert(1)</script>县" : "第\(i)县", external: i == 5, computedAt: "",
                rates: ["on_time_rate": Rate(80 + i, of: 100), "satisfaction_rate": Rate(90, of: 100 + i), "overdue_now": Rate(i, of: 100)],
                numbers: ["filed": Double(100 + i), "median_days_to_reply": Double(50 + i)], ranks: [:])
        }
        return Comparison.ranked(rows, year: 2021, sort: .onTimeRate, minimumCount: 10)
    }

    @Test func thePageIsSelfContainedAndEscapesWhatCountiesAreCalled() {
        let page = HTMLReport.page(comparison: comparison(), generatedAt: "2021-12-31T09:00:00+08:00")
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(!page.contains("<script>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;县"))
        // No external references: the only URLs are the SVG namespace.
        #expect(page.components(separatedBy: "http://").dropFirst().allSatisfy { $0.hasPrefix("www.w3.org/2000/svg") })
        #expect(!page.contains("https://"))
        #expect(!page.contains("src=") && !page.contains("<link"))
        #expect(page.contains("@page { size: A4"))
    }

    @Test func aRealBrowserRendersTheChartsAndPrintsThemOnA4() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("report.html")
        try Data(HTMLReport.page(comparison: comparison(), generatedAt: "2021-12-31T09:00:00+08:00").utf8).write(to: file)
        // The DOM the browser built: every chart's SVG with a bar per county.
        let (status, dom) = try await chromium(["--dump-dom", file.absoluteString])
        #expect(status == 0)
        let svgs = dom.components(separatedBy: "<svg").count - 1
        #expect(svgs == 5)  // the metrics these counties have: filed, on time, satisfaction, overdue, median days
        #expect(dom.components(separatedBy: "<rect").count - 1 >= 12 * 4)
        #expect(dom.contains("第11县"))
        // Printed: a PDF of A4 pages (595 × 842 points).
        let pdf = folder.appendingPathComponent("report.pdf")
        let (printed, _) = try await chromium(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", file.absoluteString])
        #expect(printed == 0)
        let bytes = try Data(contentsOf: pdf)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-"))
        let pages = text.components(separatedBy: "/Type /Page").count - 1 - (text.components(separatedBy: "/Type /Pages").count - 1)
        #expect(pages >= 2)
        #expect(text.contains("/MediaBox [0 0 595") || text.contains("/MediaBox [0 0 594"))
    }
}

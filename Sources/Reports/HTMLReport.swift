import Foundation

/// One self-contained HTML page (no external assets, no JavaScript) for printing on A4: the
/// comparison's metrics as SVG bar charts across counties (with each rate's 95% interval as a
/// whisker and its count), the comparison table, and optionally a county's annual report and
/// unit league table.
public enum HTMLReport {
    /// Counties drawn per chart (the table lists them all).
    public static let chartLimit = 40

    public static func page(comparison: Comparison?, annual: AnnualReport? = nil, units: UnitReport? = nil, generatedAt: String) -> String {
        let (title, body) = sections(comparison: comparison, annual: annual, units: units, generatedAt: generatedAt)
        return """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <title>\(escape(title))</title>
            <style>
            \(stylesheet)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    /// The page's title and its body's HTML (escaped; SVG charts without style attributes): the
    /// web application shows them inside its own page, with `stylesheet` served as a file.
    public static func sections(comparison: Comparison?, annual: AnnualReport? = nil, units: UnitReport? = nil, generatedAt: String) -> (title: String, body: String) {
        var body = ""
        var title = "同心 Tongxin"
        if let comparison {
            title = "\(comparison.year) 年提案工作比较 / Proposal handling compared, \(comparison.year)"
            body += "<h1>\(escape(title))</h1>\n"
            body += "<p class=\"meta\">\(comparison.rows.count) 个县市区 counties · 排序 sorted by \(escape(comparison.sortedBy)) · "
                + "排名门槛 ranked from \(comparison.minimumCount) · 生成于 generated \(escape(generatedAt)) · "
                + "* 外部数据 external (imported from another deployment)</p>\n"
            for metric in ComparedMetric.allCases {
                body += chart(comparison, metric)
            }
            body += comparisonTable(comparison)
        }
        if let annual {
            if comparison == nil {
                title = "\(annual.countyName) \(annual.year) 年提案工作报告 / Annual report"
                body += "<h1>\(escape(title))</h1>\n<p class=\"meta\">截至 as of \(escape(annual.asOf)) · 生成于 generated \(escape(generatedAt))</p>\n"
            } else {
                body += "<h2>\(escape(annual.countyName)) \(annual.year) 年度数据 / annual figures</h2>\n"
            }
            body += table(columns: ["指标 / figure", "值 / value", "计数 / count", "95% 区间 / interval"], rows: annual.rows, numeric: [1])
        }
        if let units {
            if comparison == nil, annual == nil {
                title = "\(units.county) \(units.year) 承办单位排名 / Handling units"
                body += "<h1>\(escape(title))</h1>\n<p class=\"meta\">截至 as of \(escape(units.asOf)) · 生成于 generated \(escape(generatedAt))</p>\n"
            }
            body += "<h2>承办单位排名 / Handling units, \(escape(units.county)) \(units.year)</h2>\n"
            body += "<p class=\"meta\">交办 \(units.minimumCount) 件以上参与排名，按按时办复率 95% 区间下限排序 · ranked from \(units.minimumCount) assignments by the lower end of the on-time rate's 95% interval</p>\n"
            body += table(
                columns: ["名次 / rank", "承办单位 / unit", "交办 / assigned", "办复 / replied", "按时率 / on time", "95% 区间", "超期 / overdue",
                          "用时中位 / median days", "A", "B", "C", "D", "满意率 / satisfaction", "重办 / re-handled"],
                rows: units.units.map { u in
                    [u.rank.map(String.init) ?? "–", u.unit, String(u.assigned), String(u.replied), u.onTimeRate.display,
                     u.onTimeRate.intervalDisplay, String(u.overdueNow), u.medianDaysToReply.map { String(format: "%.1f", $0) } ?? "–",
                     String(u.replyCategories["A"] ?? 0), String(u.replyCategories["B"] ?? 0), String(u.replyCategories["C"] ?? 0),
                     String(u.replyCategories["D"] ?? 0), u.satisfactionRate.display, String(u.rehandled)]
                },
                numeric: [0, 2, 3, 6, 7, 8, 9, 10, 11, 13])
        }
        return (title, body)
    }

    /// The report's CSS (A4 print first).
    public static let stylesheet = """
            @page { size: A4; margin: 14mm 12mm; }
            body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
                   font-size: 10pt; color: #222; margin: 0 auto; max-width: 186mm; }
            h1 { font-size: 16pt; margin: 0 0 4pt; }
            h2 { font-size: 12.5pt; margin: 14pt 0 4pt; break-after: avoid; }
            h3 { font-size: 10.5pt; margin: 10pt 0 2pt; break-after: avoid; }
            .meta { color: #555; font-size: 8.5pt; margin: 0 0 8pt; }
            figure { margin: 0 0 8pt; break-inside: avoid; }
            figcaption { font-size: 8pt; color: #555; }
            table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 4pt 0 10pt; }
            th, td { border-bottom: 0.5pt solid #ccc; padding: 2pt 4pt; text-align: left; vertical-align: top; }
            th { background: #f2f2f2; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            tr { break-inside: avoid; }
            svg text { font-family: inherit; }
        """

    /// A horizontal bar chart of one metric: counties best first (ranked ones, then the rest).
    static func chart(_ comparison: Comparison, _ metric: ComparedMetric) -> String {
        let rows = comparison.rows.filter { $0.value(metric) != nil }.sorted { a, b in
            switch (a.ranks[metric.rawValue] ?? nil, b.ranks[metric.rawValue] ?? nil) {
            case let (x?, y?): return x != y ? x < y : a.county < b.county
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.county < b.county
            }
        }
        guard !rows.isEmpty else { return "" }
        let shown = Array(rows.prefix(chartLimit))
        let maximum = metric.isRate ? 1.0 : max(shown.compactMap { $0.value(metric) }.max() ?? 1, 1e-9)
        let labelWidth = 150.0, barWidth = 330.0, valueWidth = 170.0, rowHeight = 14.0
        let width = labelWidth + barWidth + valueWidth
        let height = Double(shown.count) * rowHeight + 6
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(metric.label))\">\n"
        for (i, row) in shown.enumerated() {
            let y = Double(i) * rowHeight + 3
            let value = row.value(metric) ?? 0
            let w = max(0, min(1, value / maximum)) * barWidth
            let name = (row.ranks[metric.rawValue] ?? nil).map { "\($0). " } ?? "– "
            let label = name + row.countyName + (row.external ? " *" : "")
            svg += "<text x=\"\(Int(labelWidth - 4))\" y=\"\(f(y + 10))\" font-size=\"9\" text-anchor=\"end\">\(escape(label))</text>"
            let colour = row.external ? "#9aa9c9" : (metric.lowerIsBetter ? "#c98a5a" : "#4a78b5")
            svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(f(y + 1))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 4))\" fill=\"\(colour)\"/>"
            let text: String
            if metric.isRate, let rate = row.rates[metric.rawValue] {
                text = rate.display
                if let low = rate.low, let high = rate.high {
                    let x1 = labelWidth + low * barWidth, x2 = labelWidth + high * barWidth, cy = y + rowHeight / 2 - 1
                    svg += "<line x1=\"\(f(x1))\" y1=\"\(f(cy))\" x2=\"\(f(x2))\" y2=\"\(f(cy))\" stroke=\"#222\" stroke-width=\"0.8\"/>"
                }
            } else {
                text = metric == .filed ? String(Int(value)) : String(format: "%.1f", value)
            }
            svg += "<text x=\"\(Int(labelWidth + barWidth + 4))\" y=\"\(f(y + 10))\" font-size=\"9\">\(escape(text))</text>\n"
        }
        svg += "</svg>"
        let more = rows.count > shown.count ? "；另有 \(rows.count - shown.count) 个见下表 / \(rows.count - shown.count) more in the table" : ""
        let whisker = metric.isRate ? "；细线为 95% 区间 / whiskers: 95% interval" : ""
        let direction = metric.lowerIsBetter ? "越低越好 / lower is better" : "越高越好 / higher is better"
        return "<figure>\n<h3>\(escape(metric.label))</h3>\n\(svg)\n<figcaption>\(direction)\(whisker)\(more)</figcaption>\n</figure>\n"
    }

    static func comparisonTable(_ comparison: Comparison) -> String {
        let shown: [ComparedMetric] = [.filed, .registrationRate, .onTimeRate, .satisfactionRate, .strictSatisfactionRate, .solvedRate,
                                       .rehandlingRate, .overdueNow, .medianDaysToReply, .microSuggestionsOnTimeRate, .proposalsPer100Members]
        let sort = ComparedMetric(rawValue: comparison.sortedBy) ?? .onTimeRate
        let rows = comparison.rows.map { row -> [String] in
            [(row.ranks[sort.rawValue] ?? nil).map(String.init) ?? "–", row.countyName + (row.external ? " *" : "")] + shown.map { m in
                if m.isRate { return row.rates[m.rawValue]?.display ?? "–" }
                guard let value = row.numbers[m.rawValue] ?? nil else { return "–" }
                return m == .filed ? String(Int(value)) : String(format: "%.1f", value)
            }
        }
        return "<h2>全部县市区 / All counties</h2>\n"
            + table(columns: ["名次 / rank", "县 / county"] + shown.map(\.label), rows: rows, numeric: [0] + Array(2..<(2 + shown.count)))
    }

    static func table(columns: [String], rows: [[String]], numeric: [Int]) -> String {
        let numericColumns = Set(numeric)
        var out = "<table>\n<thead><tr>" + columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>" + row.enumerated().map { i, cell in
                numericColumns.contains(i) ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

import Foundation
import Testing
@testable import TongxinCLI

@Suite struct OutputTests {
    @Test func formatsParseFromArguments() {
        #expect(OutputFormat.allCases.map(\.rawValue) == ["table", "json", "csv"])
        #expect(OutputFormat(argument: "csv") == .csv)
        #expect(OutputFormat(argument: "xml") == nil)
    }

    @Test func chineseTakesTwoColumns() {
        #expect(DisplayWidth.of("耒阳市") == 6)
        #expect(DisplayWidth.of("") == 0)
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("第3号提案") == 9)
        #expect(DisplayWidth.of("耒阳 county") == 11)
        // Fullwidth forms, CJK punctuation, kana, Hangul, an Extension B ideograph, an emoji.
        #expect(DisplayWidth.of("ＡＢ１") == 6)
        #expect(DisplayWidth.of("「提案」，。") == 12)
        #expect(DisplayWidth.of("かなカナ한글") == 12)
        #expect(DisplayWidth.of("\u{20000}") == 2)
        #expect(DisplayWidth.of("👍") == 2)
        // Halfwidth katakana and ambiguous-width characters stay narrow.
        #expect(DisplayWidth.of("ｶﾅ") == 2)
        #expect(DisplayWidth.of("°±") == 2)
    }

    @Test func combiningZeroWidthAndControlCharactersTakeNoColumns() {
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("a\u{20DD}") == 1)
        #expect(DisplayWidth.of("a\u{200B}b\u{200D}c\u{FEFF}") == 3)
        #expect(DisplayWidth.of("❤\u{FE0F}") == 1)
        #expect(DisplayWidth.of("\u{1B}\u{7}\u{85}x") == 1)
        // A syllable from conjoining jamo: initial (wide) plus vowel and final (zero).
        #expect(DisplayWidth.of("\u{1100}\u{1161}\u{11A8}") == 2)
    }

    @Test func tablesAlignChineseCellsAndRightAlignNumbers() {
        let table = TextTable(columns: ["代码", "名称", "proposals", "status"], rows: [
            ["430481", "耒阳市", "12", "active"],
            ["430482", "常宁市", "7", "archived"],
            ["hy", "衡阳县 test", "", ""],
        ])
        #expect(table.render().split(separator: "\n", omittingEmptySubsequences: false) == [
            "代码    名称         proposals  status",
            "------  -----------  ---------  --------",
            "430481  耒阳市              12  active",
            "430482  常宁市               7  archived",
            "hy      衡阳县 test",
        ])
    }

    @Test func tableCellsStayOnOneLineAndRaggedRowsDoNotTrap() {
        let table = TextTable(columns: ["a", "b"], rows: [["x\r\ny", "1\t2"], ["only"], ["1", "2", "extra"], []])
        // The empty row is an empty last line.
        #expect(table.render().split(separator: "\n", omittingEmptySubsequences: false) == [
            "a     b",
            "----  ---  -----",
            "x y   1 2",
            "only",
            "1     2    extra",
            "",
        ])
        #expect(TextTable(columns: ["名称"], rows: []).render() == "名称\n----")
    }

    @Test func csvQuotesWhatNeedsQuoting() {
        let csv = CSVOutput.render(columns: ["名称", "note"], rows: [
            ["耒阳市", "a, b"],
            ["他说\"好\"", "two\r\nlines"],
            [" padded", "trailing "],
            ["plain", ""],
            ["short"],
        ])
        #expect(csv == "名称,note\r\n耒阳市,\"a, b\"\r\n\"他说\"\"好\"\"\",\"two\r\nlines\"\r\n\" padded\",\"trailing \"\r\nplain,\r\nshort,\r\n")
    }

    @Test func csvGuardsAgainstFormulas() {
        #expect(CSVOutput.field("=SUM(A1:A9)") == "'=SUM(A1:A9)")
        #expect(CSVOutput.field("+86 138") == "'+86 138")
        #expect(CSVOutput.field("-x") == "'-x")
        #expect(CSVOutput.field("@cmd") == "'@cmd")
        #expect(CSVOutput.field("\tx") == "'\tx")
        #expect(CSVOutput.field("\rx") == "\"'\rx\"")
        #expect(CSVOutput.field("=1,2") == "\"'=1,2\"")
        #expect(CSVOutput.field("-inf") == "'-inf")
        // Numbers stay numbers.
        for number in ["-12", "-3.5", "+7", "-.5", "-1e6", "42"] {
            #expect(CSVOutput.field(number) == number)
        }
        #expect(CSVOutput.field("a=b") == "a=b")
    }

    @Test func csvCanStartWithABOM() {
        let csv = CSVOutput.render(columns: ["县"], rows: [["耒阳市"]], bom: true)
        #expect(Array(csv.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(csv.dropFirst() == "县\r\n耒阳市\r\n")
        #expect(!CSVOutput.render(columns: ["县"], rows: [], bom: false).hasPrefix("\u{FEFF}"))
    }

    @Test func numbersAreRecognizedStrictly() {
        for text in ["0", "12", "-3.5", "+.5", "5.", "1e6", "2.5E-3"] { #expect(CSVOutput.isNumber(text), "\(text)") }
        for text in ["", "-", ".", "e5", "1e", "inf", "nan", "0x1F", "1 2", "1,000", "１２"] {
            #expect(!CSVOutput.isNumber(text), "\(text)")
        }
    }

    @Test func jsonIsSortedPrettyAndKeepsSlashesAndChinese() throws {
        struct County: Encodable { let name: String; let code: String; let url: String }
        let json = try JSONOutput.render([County(name: "耒阳市", code: "430481", url: "https://example.cn/a")])
        #expect(json == """
            [
              {
                "code" : "430481",
                "name" : "耒阳市",
                "url" : "https://example.cn/a"
              }
            ]
            """)
    }
}

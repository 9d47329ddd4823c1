import Foundation
import Testing
import Workflow

private func parse(_ text: String) throws -> CSVTable {
    try CSVReader.parse(Data(text.utf8))
}

/// The refusal's text, or nil when the bytes parse.
private func refusal(_ bytes: [UInt8]) -> String? {
    do {
        _ = try CSVReader.parse(Data(bytes))
        return nil
    } catch {
        return "\(error)"
    }
}

private func refusal(_ text: String) -> String? { refusal(Array(text.utf8)) }

@Suite struct CSVReaderTests {
    @Test func chineseTextWithBOMAndCRLF() throws {
        let table = try CSVReader.parse(Data([0xEF, 0xBB, 0xBF] + Array(" 编号 ,县名,提案人\r\n1,耒阳市,张三\r\n2,常宁市,李四\r\n".utf8)))
        #expect(table.header == ["编号", "县名", "提案人"])
        #expect(table.records == [CSVRecord(line: 2, fields: ["1", "耒阳市", "张三"]),
                                  CSVRecord(line: 3, fields: ["2", "常宁市", "李四"])])
        #expect(table.records.first.flatMap { table.value("县名", in: $0) } == "耒阳市")
        #expect(table.records.first.flatMap { table.value("缺", in: $0) } == nil)
        #expect(table.index(of: "提案人") == 2)
    }

    @Test func lfAndLoneCRLineEndsWithoutAFinalLineEnd() throws {
        #expect(try parse("a,b\n1,2\n3,4").records.map(\.fields) == [["1", "2"], ["3", "4"]])
        let cr = try parse("a,b\r1,2\r3,4\r")
        #expect(cr.records.map(\.line) == [2, 3])
        #expect(cr.records.map(\.fields) == [["1", "2"], ["3", "4"]])
    }

    @Test func quotedFieldsKeepCommasDoubledQuotesAndSpaces() throws {
        let table = try parse("a,b,c\n\"x, y\",\"他说\"\"好\"\"\",\"  padded  \"\n\"\",,\n")
        #expect(table.records.map(\.fields) == [["x, y", "他说\"好\"", "  padded  "], ["", "", ""]])
        #expect(try parse("a,b\n1,\n").records.map(\.fields) == [["1", ""]])
    }

    @Test func embeddedLineEndsAreKeptAndLinesCountPhysically() throws {
        let table = try parse("a,b\r\n1,\"two\r\nlines\"\r\n2,\"three\nmore\rlines\"\r\n\r\n3,x\r\n")
        #expect(table.records.map(\.line) == [2, 4, 8])
        #expect(table.records.map(\.fields) == [["1", "two\r\nlines"], ["2", "three\nmore\rlines"], ["3", "x"]])
        // An error after a multi-line field names its physical line.
        #expect(refusal("a,b\n1,\"x\ny\"\n2\n") == "line 4: 1 fields, the header has 2")
    }

    @Test func emptyLinesAreSkippedAndAHeaderAloneHasNoRecords() throws {
        let table = try parse("\n\na,b\n\n\n1,2\n\n")
        #expect(table.header == ["a", "b"])
        #expect(table.records == [CSVRecord(line: 6, fields: ["1", "2"])])
        #expect(try parse("a,b\r\n").records.isEmpty)
        #expect(try CSVReader.parse(Data([0xEF, 0xBB, 0xBF] + Array("名称".utf8))).header == ["名称"])
    }

    @Test func emptyFilesAreRefused() {
        #expect(refusal("") == "the file is empty")
        #expect(refusal([0xEF, 0xBB, 0xBF]) == "the file is empty")
        #expect(refusal("\r\n\n") == "the file is empty")
    }

    @Test func headerNamesMustBePresentAndUnique() {
        #expect(refusal("a,b,,d\n") == "line 1: column 3 has no name")
        #expect(refusal("a,b,  \n") == "line 1: column 3 has no name")
        #expect(refusal("name,x, name \n") == "line 1: column \"name\" appears twice")
    }

    @Test func invalidUTF8NamesTheLineOfTheFirstBadByte() {
        // 耒阳 in GBK: C0 DA D1 F4.
        let gbk: [UInt8] = Array("a,b\r\n1,2\r\n\r\n3,".utf8) + [0xC0, 0xDA, 0xD1, 0xF4] + Array("\r\n".utf8)
        #expect(refusal(gbk) == "line 4: not valid UTF-8 (save the file as UTF-8 CSV)")
        #expect(refusal([0xEF, 0xBB, 0xBF, 0x61, 0x0D, 0x62, 0xFF]) == "line 2: not valid UTF-8 (save the file as UTF-8 CSV)")
        // A truncated sequence at the end of the file.
        #expect(refusal(Array("a\n".utf8) + [0xE8, 0x80]) == "line 2: not valid UTF-8 (save the file as UTF-8 CSV)")
    }

    @Test func utf16IsRefused() {
        #expect(refusal([0xFF, 0xFE, 0x61, 0x00]) == "the file is UTF-16 (save the file as UTF-8 CSV)")
        #expect(refusal([0xFE, 0xFF, 0x00, 0x61]) == "the file is UTF-16 (save the file as UTF-8 CSV)")
    }

    @Test func wrongFieldCountsAreRefused() {
        #expect(refusal("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n") == "line 3: 4 fields, the header has 5")
        #expect(refusal("a,b\n1,2,\n") == "line 2: 3 fields, the header has 2")
    }

    @Test func quoteErrorsNameTheLine() {
        #expect(refusal("a,b\n1,2\n3,\"open\n\nstill open\n") == "line 3: a quoted field is not closed")
        #expect(refusal("a,b\n1,x\"y\n") == "line 2: a quote inside an unquoted field (quote the whole field and double the quote)")
        #expect(refusal("a,b\n1,\"x\ny\"z\n") == "line 3: text after a closing quote (double a quote inside a quoted field)")
    }

    @Test func fieldsLongerThanTheLimitAreRefused() throws {
        let limit = String(repeating: "县", count: CSVReader.maxFieldLength)
        #expect(try parse("a,b\n1,\(limit)\n").records.first?.fields.last == limit)
        #expect(refusal("a,b\n1,\"\n\(limit)\"\n") == "line 2, field 2: longer than 100000 characters")
        #expect(refusal("a,b\n1,x\(limit)\n") == "line 2, field 2: longer than 100000 characters")
    }

    /// Size, not speed (speed is measured by `make bench`).
    @Test func aHundredThousandRowsParse() throws {
        var text = "编号,县名,提案人,标题,状态\r\n"
        for row in 1...100_000 {
            text += "\(row),耒阳市,张三,\"关于加强农村道路建设的建议, 第\(row)号\",registered\r\n"
        }
        let data = Data(text.utf8)
        let table = try CSVReader.parse(data)
        #expect(table.records.count == 100_000)
        #expect(table.records.last == CSVRecord(line: 100_001, fields: ["100000", "耒阳市", "张三", "关于加强农村道路建设的建议, 第100000号", "registered"]))
    }
}

import Counties
import Foundation
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct CountyListTests {
    @Test func listsParseWithCommentsTabsAndRegionsAndBadLinesAreNamed() throws {
        let entries = try CountyList.parse("# peers\nleiyang,耒阳市,湖南省衡阳市\n\nlinwu\t临武县\nzhaoping, 昭平县 ,\n")
        #expect(entries.map(\.code.value) == ["leiyang", "linwu", "zhaoping"])
        #expect(entries.map(\.name) == ["耒阳市", "临武县", "昭平县"])
        #expect(entries.map(\.region) == ["湖南省衡阳市", nil, nil])
        #expect(entries.map(\.line) == [2, 4, 5])
        let cases: [(String, String)] = [
            ("a1,ok\nBad Code,x\n", "line 2: invalid county code"),
            ("a1,ok\na2\n", "line 2: expected code,name[,region], got 1 field(s)"),
            ("a1,ok\na1,again\n", "line 2: county a1 is listed twice (line 1)"),
            ("a1,\n", "line 1: name: give 1 to 100 characters"),
            ("# nothing\n", "the list has no counties"),
            ("a1,x,y,z\n", "line 1: expected code,name[,region], got 4 field(s)"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: CountyError.self) { try CountyList.parse(text) }
            #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
        }
    }

    @Test func manyCountiesAreCreatedSeveralAtATimeAndAnExistingCodeStopsTheListBeforeAnything() async throws {
        try await withRegistry { registry, _ in
            let entries = try CountyList.parse((0..<12).map { "m\($0),县\($0)" }.joined(separator: "\n"))
            let outcomes = try await registry.createMany(entries, jobs: 3)
            #expect(outcomes.allSatisfy { $0.1 == nil })
            #expect(try await registry.list().count == 12)
            let again = try CountyList.parse("n1,新\nm3,旧\n")
            let error = await thrownError { _ = try await registry.createMany(again, jobs: 2) }
            #expect((error as? CountyError)?.description == "line 2: county m3 already exists (nothing was created)")
            #expect(try await registry.list().count == 12)
        }
    }
}

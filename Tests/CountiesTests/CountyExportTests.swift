import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct CountyExportTests {
    @Test func exportThenDropThenImportRestoresTheCountyAndItsRows() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("leiyang")
            _ = try await registry.create(code: code, name: "耒阳市", region: "湖南省衡阳市")
            _ = try await registry.create(code: CountyCode("other"), name: "其他", region: nil)
            _ = try await registry.set(code, key: "evaluation_window_days", value: "45")
            try await pool.query("""
                INSERT INTO county_leiyang.audit_log (actor, entity, entity_id, action, detail)
                VALUES ('staff', 'proposal', '2021-057', 'registered', '{"note": "提案\\t立案"}')
                """)
            let file = NSTemporaryDirectory() + "leiyang-\(UUID().uuidString.prefix(6)).tongxin"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let size = try await registry.export(code, to: file)
            #expect(size > 100)

            let refused = await thrownError { _ = try await registry.importCounty(from: file) }
            #expect((refused as? CountyError)?.description == "county leiyang already exists")
            let active = await thrownError { try await registry.drop(code, confirm: "leiyang") }
            #expect((active as? CountyError)?.description == "county leiyang is active: archive it before dropping it")
            _ = try await registry.archive(code)
            let wrong = await thrownError { try await registry.drop(code, confirm: "other") }
            #expect(wrong is CountyError)
            try await registry.drop(code, confirm: "leiyang")
            #expect(try await registry.list().map(\.code.value) == ["other"])

            let restored = try await registry.importCounty(from: file)
            #expect(restored.name == "耒阳市")
            #expect(restored.region == "湖南省衡阳市")
            #expect(restored.settings.evaluationWindowDays == 45)
            #expect(restored.status == .active)  // exported while active
            let detail = try await pool.query("SELECT detail->>'note' FROM county_leiyang.audit_log").single().decode(String.self)
            #expect(detail == "提案\t立案")
            let status = try await registry.migrationStatus(counties: [code]).counties[0].1
            #expect(status.pending.isEmpty && status.drifted.isEmpty)
            // The other county was never touched.
            let others = try await pool.query("SELECT count(*) FROM county_other.audit_log").single().decode(Int.self)
            #expect(others == 0)
        }
    }

    @Test func aFileThatIsNotAnExportIsRefusedByName() async throws {
        try await withRegistry { registry, _ in
            let file = NSTemporaryDirectory() + "not-export-\(UUID().uuidString.prefix(6))"
            try "hello\n".write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let error = await thrownError { _ = try await registry.importCounty(from: file) }
            #expect((error as? CountyError)?.description.contains("not a county export") == true)
        }
    }
}

@Suite struct CountyImportSafetyTests {
    @Test func anArchiveWhoseHeaderNamesAnotherCountyRestoresNothing() async throws {
        try await withRegistry { registry, pool in
            let a = try CountyCode("ca")
            _ = try await registry.create(code: a, name: "甲", region: nil)
            let file = NSTemporaryDirectory() + "ca-\(UUID().uuidString.prefix(6)).tongxin"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try await registry.export(a, to: file)
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            // Rewrite the header to claim county "cb": the archive still holds county_ca.
            var data = try Data(contentsOf: URL(fileURLWithPath: file))
            let newline = try #require(data.firstIndex(of: 10))
            let header = String(decoding: data[..<newline], as: UTF8.self).replacingOccurrences(of: "\"code\":\"ca\"", with: "\"code\":\"cb\"")
            data.replaceSubrange(..<newline, with: Data(header.utf8))
            try data.write(to: URL(fileURLWithPath: file))
            let error = await thrownError { _ = try await registry.importCounty(from: file) }
            #expect((error as? CountyError)?.description.hasSuffix("the archive holds no county cb") == true, "\(String(describing: error))")
            let cb = try await pool.query("SELECT to_regnamespace('county_cb') IS NOT NULL").single().decode(Bool.self)
            #expect(!cb)
            #expect(try await registry.list().map(\.code.value) == ["ca"])
            // A header with settings out of range is refused before anything happens.
            let bad = header.replacingOccurrences(of: "\"handling_months\":3", with: "\"handling_months\":-5")
            data.replaceSubrange(..<(data.firstIndex(of: 10) ?? 0), with: Data(bad.utf8))
            try data.write(to: URL(fileURLWithPath: file))
            let refused = await thrownError { _ = try await registry.importCounty(from: file) }
            #expect((refused as? CountyError)?.description.contains("handling_months") == true, "\(String(describing: refused))")
        }
    }
}

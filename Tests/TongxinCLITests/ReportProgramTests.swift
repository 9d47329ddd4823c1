import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ReportProgramTests {
    @Test func annualReportAndComparisonFromTheRollupsOrLive() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration), "TONGXIN_COUNTY": "leiyang"]
            #expect(try await Programs.run("tongxin", ["county", "create", "leiyang", "--name", "耒阳市", "--purpose", "demo"], environment: env).status == 0)
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

@Suite struct ExchangeProgramTests {
    @Test func aBundleTravelsFromOneDeploymentToAnother() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-exchange-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key").path
        let bundle = folder.appendingPathComponent("leiyang-2021.json").path
        // Deployment A: a county with its year, a key, the export.
        try await TestDatabase.withDatabase { a in
            let env = ["DATABASE_URL": Programs.url(a), "TONGXIN_COUNTY": "leiyang"]
            #expect(try await Programs.run("tongxin", ["county", "create", "leiyang", "--name", "耒阳市", "--purpose", "demo"], environment: env).status == 0)
            #expect(try await Programs.run("tongxin", ["demo", "fill", "--year", "2021"], environment: env).status == 0)
            let keygen = try await Programs.run("tongxin", ["exchange", "keygen", "--name", "湖南省政协", "--key", key], environment: env)
            #expect(keygen.status == 0)
            let attributes = try FileManager.default.attributesOfItem(atPath: key)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let again = try await Programs.run("tongxin", ["exchange", "keygen", "--name", "x", "--key", key], environment: env)
            #expect(again.status == 1)
            let exported = try await Programs.run("tongxin", ["exchange", "export", "--year", "2021", "--to", bundle, "--key", key], environment: env)
            #expect(exported.lines == ["wrote 耒阳市 2021, signed by 湖南省政协, to \(bundle)"])
            let text = try String(contentsOfFile: bundle, encoding: .utf8)
            let payload = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let inner = String(decoding: Data(base64Encoded: payload?["payload"] as? String ?? "") ?? Data(), as: UTF8.self)
            #expect(!inner.contains("城管局") && !inner.contains("昭平县政协"))  // no unit or peer names
            // The public key to give to peers.
            let publicKey = keygen.lines.last?.components(separatedBy: ": ").last ?? ""
            try publicKey.write(toFile: folder.appendingPathComponent("public").path, atomically: true, encoding: .utf8)
        }
        // Deployment B: refuses the bundle until it trusts the key; then compares.
        try await TestDatabase.withDatabase { b in
            let env = ["DATABASE_URL": Programs.url(b)]
            #expect(try await Programs.run("tongxin", ["migrate", "up"], environment: env).status == 0)
            let refused = try await Programs.run("tongxin", ["exchange", "import", bundle], environment: env)
            #expect(refused.status == 1)
            #expect(refused.lines.first?.contains("signed by a key this deployment does not trust") == true)
            let publicKey = try String(contentsOfFile: folder.appendingPathComponent("public").path, encoding: .utf8)
            #expect(try await Programs.run("tongxin", ["exchange", "trust", "add", "湖南", publicKey], environment: env).status == 0)
            // A tampered copy is refused.
            var tampered = try String(contentsOfFile: bundle, encoding: .utf8)
            tampered = tampered.replacingOccurrences(of: "\"signer\" : \"湖南省政协\"", with: "\"signer\" : \"湖南省政协\" ")
            let copy = folder.appendingPathComponent("tampered.json").path
            var object = try JSONSerialization.jsonObject(with: Data(tampered.utf8)) as? [String: Any] ?? [:]
            object["signature"] = Data(repeating: 7, count: 64).base64EncodedString()
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: copy))
            let bad = try await Programs.run("tongxin", ["exchange", "import", copy], environment: env)
            #expect(bad.status == 1)
            #expect(bad.lines.first?.contains("the signature does not match the contents") == true)
            let imported = try await Programs.run("tongxin", ["exchange", "import", bundle], environment: env)
            #expect(imported.lines == ["imported 耒阳市 (leiyang) 2021 from 湖南省政协"])
            let listed = try await Programs.run("tongxin", ["exchange", "list", "--format", "csv"], environment: env)
            #expect(listed.output.contains("湖南,leiyang,耒阳市,2021"))
            let compared = try await Programs.run("tongxin", ["report", "compare", "--year", "2021", "--all"], environment: env)
            #expect(compared.status == 0)
            #expect(compared.output.contains("leiyang *"))
        }
    }
}

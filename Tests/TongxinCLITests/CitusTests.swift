import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// The programs against a real Citus coordinator (schema-based sharding), opt-in: set
/// `TONGXIN_TEST_CITUS_URL` to the coordinator's database (one with the citus extension, its
/// workers added, and a role that may create roles). CI has no Citus: there the suite is
/// skipped, and says so.
@Suite(.serialized, .enabled(if: CitusCoordinator.url != nil, "TONGXIN_TEST_CITUS_URL is not set: the Citus suite did NOT run"))
struct CitusTests {
    static var url: String? { CitusCoordinator.url }
}

enum CitusCoordinator {
    static let url: String? = {
        let value = ProcessInfo.processInfo.environment["TONGXIN_TEST_CITUS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if value == nil {
            FileHandle.standardError.write(Data("CitusTests: TONGXIN_TEST_CITUS_URL is not set: the Citus suite did NOT run\n".utf8))
        }
        return value
    }()
}

extension CitusTests {
    func tongxin(_ arguments: [String], county: String) async throws -> Programs.Outcome {
        try await Programs.run("tongxin", arguments, environment: [
            "DATABASE_URL": Self.url ?? "", "TONGXIN_COUNTY": county, "USER": "staff-user",
        ])
    }

    func succeed(_ arguments: [String], county: String) async throws -> [String] {
        let outcome = try await tongxin(arguments, county: county)
        try #require(outcome.status == 0, "\(arguments.joined(separator: " ")): \(outcome.output)")
        return outcome.lines
    }

    @Test func countiesAreDistributedAndTheWorkflowTheWorkerAndMigrationsRunOnCitus() async throws {
        let url = try #require(Self.url)
        let suffix = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8))
        let codes = ["ct_a_\(suffix)", "ct_b_\(suffix)"]
        defer {
            for code in codes {
                _ = try? SpawnedProcess(Programs.directory + "/tongxin", ["county", "archive", code],
                                        environment: Programs.cleanEnvironment(["DATABASE_URL": url])).waitForExit()
                _ = try? SpawnedProcess(Programs.directory + "/tongxin", ["county", "drop", code, "--confirm", code],
                                        environment: Programs.cleanEnvironment(["DATABASE_URL": url])).waitForExit()
            }
        }
        for code in codes {
            #expect(try await succeed(["county", "create", code, "--name", "测试县", "--purpose", "training"], county: code).joined().contains(code))
        }
        let distributed = try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: url)) {
            try await $0.query("SELECT count(*) FROM citus_schemas WHERE schema_name::text = ANY(\(codes.map { "county_" + $0 }))")
                .single().decode(Int.self)
        }
        #expect(distributed == 2)
        let code = codes[0]
        for command in WorkflowProgramTests.reference.dropFirst() {
            _ = try await succeed(command, county: code)
        }
        #expect(try await succeed([
            "proposal", "file", "--title", "关于规范城区物业管理的建议", "--category", "社会民生", "--kind", "joint",
            "--lead", "王委员", "--co", "欧阳委员", "--as-of", "2021-01-11T10:00",
        ], county: code) == ["filed 2021-001 关于规范城区物业管理的建议"])
        for command in [
            ["proposal", "review", "2021-001", "--register", "--as-of", "2021-01-20"],
            ["proposal", "assign", "2021-001", "--lead", "城管局", "--co", "林业局", "--as-of", "2021-01-25"],
        ] {
            _ = try await succeed(command, county: code)
        }
        // The clocks: reminders and the overdue mark run on the worker (deadline.watch).
        let drained = try await Programs.run(
            "tongxin-worker", ["--drain", "--county", code, "--as-of", "2021-05-01", "--log-level", "warning"],
            environment: ["DATABASE_URL": url])
        #expect(drained.status == 0, "\(drained.output)")
        for command in [
            ["proposal", "reply", "2021-001", "--unit", "城管局", "--category", "B", "--text", "已列入计划", "--as-of", "2021-05-02T09:30"],
            ["proposal", "evaluate", "2021-001", "--member", "王委员", "--rating", "满意", "--as-of", "2021-05-05"],
            ["proposal", "evaluate", "2021-001", "--member", "欧阳委员", "--rating", "unsatisfied", "--as-of", "2021-05-06"],
        ] {
            _ = try await succeed(command, county: code)
        }
        let shown = try await succeed(["proposal", "show", "2021-001", "--format", "json"], county: code)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.joined(separator: "\n").utf8)) as? [String: Any])
        #expect(json["status"] as? String == "rehandling")
        let notices = try await succeed(["notifications", "list", "--county", code, "--kind", "deadline.overdue", "--format", "csv"], county: code)
        #expect(notices.joined().contains("\(code),deadline.overdue,城管局,2021-001,delivered"), "\(notices)")
        #expect(try await succeed(["audit", "verify"], county: code).first?.hasPrefix("audit log intact") == true)
        _ = try await succeed(["report", "annual", "--year", "2021", "--format", "json"], county: code)
        let migrated = try await succeed(["migrate", "up", "--all"], county: code)
        #expect(migrated.last?.contains(" 0 failed") == true, "\(migrated)")

        // Export, archive and drop, import: the county comes back distributed, its audit intact.
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("citus-\(code).tongxin").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        _ = try await succeed(["county", "export", code, "--to", archive], county: code)
        _ = try await succeed(["county", "archive", code], county: code)
        _ = try await succeed(["county", "drop", code, "--confirm", code], county: code)
        _ = try await succeed(["county", "import", archive], county: code)
        let back = try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: url)) {
            try await $0.query("SELECT count(*) FROM citus_schemas WHERE schema_name::text = \("county_" + code)")
                .single().decode(Int.self)
        }
        #expect(back == 1)
        #expect(try await succeed(["audit", "verify"], county: code).first?.hasPrefix("audit log intact") == true)
        let again = try await succeed(["proposal", "show", "2021-001", "--format", "json"], county: code)
        #expect(again.joined().contains("rehandling"))
    }

    @Test func importsAndTheExchangeRunOnCitus() async throws {
        let url = try #require(Self.url)
        let suffix = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8))
        let code = "ct_x_\(suffix)"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citus-\(suffix)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: folder)
            _ = try? SpawnedProcess(Programs.directory + "/tongxin", ["county", "archive", code],
                                    environment: Programs.cleanEnvironment(["DATABASE_URL": url])).waitForExit()
            _ = try? SpawnedProcess(Programs.directory + "/tongxin", ["county", "drop", code, "--confirm", code],
                                    environment: Programs.cleanEnvironment(["DATABASE_URL": url])).waitForExit()
        }
        _ = try await succeed(["county", "create", code, "--name", "交换县", "--purpose", "training"], county: code)
        // CSV imports, one transaction each: a bad file writes nothing, a good one all.
        let members = folder.appendingPathComponent("members.csv").path
        try Data("姓名,界别\r\n赵委员,教育界\r\n钱委员,经济界\r\n".utf8).write(to: URL(fileURLWithPath: members))
        #expect(try await succeed(["member", "import", members], county: code) == ["imported 2 members from \(members)"])
        let units = folder.appendingPathComponent("units.csv").path
        try Data("name\n城管局\n林业局\n".utf8).write(to: URL(fileURLWithPath: units))
        _ = try await succeed(["unit", "import", units], county: code)
        _ = try await succeed(["session", "open", "--year", "2022", "--name", "十届八次会议", "--opened-on", "2022-01-10"], county: code)
        let proposals = folder.appendingPathComponent("proposals.csv").path
        try Data("title,category,kind,lead,co_authors,filed_at\n关于A的建议,economy,individual,赵委员,,2022-01-11\n关于B的建议,sports,individual,赵委员,,2022-01-11\n".utf8)
            .write(to: URL(fileURLWithPath: proposals))
        let refused = try await tongxin(["import", "proposals", proposals], county: code)
        #expect(refused.status == 1)
        #expect(refused.lines.count == 1 && refused.output.contains("line 3, field category"), "\(refused.output)")
        try Data("title,category,kind,lead,co_authors,filed_at\n关于A的建议,economy,individual,赵委员,,2022-01-11\n关于C的建议,ecology,joint,赵委员,钱委员,2022-01-12\n".utf8)
            .write(to: URL(fileURLWithPath: proposals))
        #expect(try await succeed(["import", "proposals", proposals], county: code) == ["imported 2 proposals from \(proposals)"])
        let listed = try await succeed(["proposal", "list", "--format", "csv"], county: code)
        #expect(listed.joined().contains("2022-001,关于A的建议,filed") && listed.joined().contains("2022-002,关于C的建议,filed"), "\(listed)")

        // The exchange: a year filled by the demo, signed, trusted and imported back as a peer's.
        _ = try await succeed(["demo", "fill", "--year", "2021", "--profile", "leiyang"], county: code)
        let key = folder.appendingPathComponent("key").path
        let bundle = folder.appendingPathComponent("bundle.json").path
        let keygen = try await succeed(["exchange", "keygen", "--name", "测试省政协", "--key", key], county: code)
        _ = try await succeed(["exchange", "export", "--year", "2021", "--to", bundle, "--key", key], county: code)
        let publicKey = try #require(keygen.last?.components(separatedBy: ": ").last)
        _ = try await succeed(["exchange", "trust", "add", "测试\(suffix)", publicKey], county: code)
        #expect(try await succeed(["exchange", "import", bundle], county: code) == ["imported 交换县 (\(code)) 2021 from 测试省政协"])
        let compared = try await succeed(["report", "compare", "--year", "2021", "--counties", code, "--live"], county: code)
        #expect(compared.joined(separator: "\n").contains(code), "\(compared)")
        #expect(try await succeed(["audit", "verify"], county: code).first?.hasPrefix("audit log intact") == true)
    }
}

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
            #expect(try await succeed(["county", "create", code, "--name", "测试县"], county: code).joined().contains(code))
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
    }
}

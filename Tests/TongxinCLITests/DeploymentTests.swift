import EmbeddedPostgres
import Foundation
import PostgresTestSupport
import Testing

/// docker-compose.yml and the Dockerfile, validated without a Docker engine.
@Suite struct DeploymentTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func compose(_ arguments: [String], file: String = "docker-compose.yml") async throws -> (Int32, String) {
        // docker-compose (Debian's package, installed by `make deps`) parses and validates the
        // file locally; `config` needs no engine.
        let child = try SpawnedProcess(
            "/usr/bin/docker-compose", ["--project-directory", Self.repository, "-f", file] + arguments,
            environment: ProcessInfo.processInfo.environment)
        let status = try await offCooperativePool { child.waitForExit() }
        return (status, child.output)
    }

    @Test func theComposeFileIsValidAndDescribesTheStackAndTheCitusProfile() async throws {
        let (status, output) = try await compose(["config", "-q"], file: Self.repository + "/docker-compose.yml")
        #expect(status == 0, "\(output)")
        let (listed, services) = try await compose(["--profile", "citus", "config", "--services"], file: Self.repository + "/docker-compose.yml")
        #expect(listed == 0)
        let names = Set(services.split(separator: "\n").map(String.init))
        #expect(names.isSuperset(of: ["postgres", "migrate", "worker", "web", "citus-coordinator", "citus-worker-1", "citus-worker-2"]))
        let (_, rendered) = try await compose(["config"], file: Self.repository + "/docker-compose.yml")
        #expect(rendered.contains("image: postgres:15"))
        #expect(rendered.contains("- migrate\n    - up\n    - --all"))
        #expect(rendered.contains("service_completed_successfully"))
        #expect(rendered.contains("- tongxin-web"))
        // The image builds all three programs, with every system library the build links.
        let dockerfile = try String(contentsOfFile: Self.repository + "/Dockerfile", encoding: .utf8)
        for needed in ["--product tongxin-web", "libsodium-dev", "libsodium23", "libpq-dev"] {
            #expect(dockerfile.contains(needed), "the Dockerfile lacks \(needed)")
        }
    }

    @Test func theValidatorRejectsABrokenComposeFile() async throws {
        let broken = NSTemporaryDirectory() + "compose-\(UUID().uuidString.prefix(6)).yml"
        try "services:\n  postgres:\n    image: postgres:15\n    depends_on: 42\n    no_such_key: true\n"
            .write(toFile: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let (status, _) = try await compose(["config", "-q"], file: broken)
        #expect(status != 0)
    }
}

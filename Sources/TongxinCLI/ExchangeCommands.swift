import Workflow
import ArgumentParser
import Counties
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PostgresClient
import Reports
import WorkflowStore
import TongxinBase

/// `tongxin exchange …`: signed figures between deployments.
struct ExchangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "Share a county's aggregated figures with other deployments as signed bundles, and import theirs.",
        subcommands: [Keygen.self, Export.self, Trust.self, Import.self, List.self])

    /// Where the deployment's key file is: --key, else TONGXIN_EXCHANGE_KEY, else ~/.config/tongxin/exchange-key.
    static func keyPath(_ option: String?) -> String {
        if let option { return option }
        if let path = ProcessInfo.processInfo.environment["TONGXIN_EXCHANGE_KEY"], !path.isEmpty { return path }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/tongxin/exchange-key").path
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create this deployment's Ed25519 key (a file readable by you only) and print its public key to share.")
        @Option(help: "This deployment's name, as peers will see it (e.g. 湖南省衡阳市政协).") var name: String
        @Option(help: "The key file (default TONGXIN_EXCHANGE_KEY, else ~/.config/tongxin/exchange-key).") var key: String?
        @Flag(help: "Replace an existing key file.") var force = false

        func run() async throws {
            try await reportingFailures {
                let name = try Exchange.validName(name, field: "--name")
                let path = ExchangeCommand.keyPath(key)
                if FileManager.default.fileExists(atPath: path), !force {
                    throw CommandFailure(message: "--key: \(path) exists; peers trust its public key (use --force to replace it)")
                }
                try OutputPath.check(path, field: "--key")
                let (privateKey, publicKey) = try Ed25519.generate()
                let file = Exchange.Key(name: name, privateKey: privateKey)
                let url = URL(fileURLWithPath: path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                // Created readable by its owner only from the first byte, then put in place.
                let temporary = path + ".new-\(getpid())"
                let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0 else { throw CommandFailure(message: "--key: cannot create \(temporary): \(String(cString: strerror(errno)))") }
                let bytes = Array(file.fileText.utf8)
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                let synced = fsync(fd) == 0
                close(fd)
                guard written == bytes.count, synced, rename(temporary, path) == 0 else {
                    unlink(temporary)
                    throw CommandFailure(message: "--key: cannot write \(path)")
                }
                print("key of \(name) written to \(path)")
                print("public key (give it to peers for `tongxin exchange trust add`): \(publicKey.base64EncodedString())")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a county's figures of a year as a signed bundle: aggregated metrics only, no names, no proposal text.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The year.", transform: parseYear) var year = 2021
        @Option(help: "The bundle file to write.") var to: String
        @Option(help: "The key file (default TONGXIN_EXCHANGE_KEY, else ~/.config/tongxin/exchange-key).") var key: String?

        func run() async throws {
            try await reportingFailures {
                // Who may use the county is checked before the key is read.
                let (deploymentKey, report) = try await staff.withStore { store in
                    try Permissions.require(store.principal, .exchange, .deployment)
                    try await store.requireAccess()
                    let path = ExchangeCommand.keyPath(key)
                    var info = stat()
                    if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
                        throw CommandFailure(message: "--key: \(path) is readable by others: `chmod 600 \(path)` (it signs for this deployment)")
                    }
                    guard let data = try InputFile.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                        throw CommandFailure(message: "--key: cannot read \(path) (create it with `tongxin exchange keygen --name …`)")
                    }
                    let deploymentKey = try Exchange.Key.parse(text, path: path)
                    return (deploymentKey, try await AnnualReport.compute(store, year: year))
                }
                let bundle = try Exchange.bundle(report, key: deploymentKey, exportedAt: Date())
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                do {
                    try OutputPath.check(to, field: "--to")
                    try (try encoder.encode(bundle)).write(to: URL(fileURLWithPath: to), options: .atomic)
                } catch let error as CocoaError {
                    throw CommandFailure(message: "--to: cannot write \(to): \(error.localizedDescription)")
                }
                print("wrote \(report.countyName) \(year), signed by \(deploymentKey.name), to \(to)")
            }
        }
    }

    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The peers' public keys this deployment trusts.", subcommands: [Add.self, TrustList.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Trust a peer deployment's public key (check it with them first).")
            @OptionGroup var connection: ConnectionOptions
            @Argument(help: "A name for the peer.") var name: String
            @Argument(help: "Its public key, as its `exchange keygen` printed it.") var publicKey: String

            func run() async throws {
                try await reportingFailures {
                    try await connection.requireOperator(.exchange)
                    try await PostgresConnection.withConnection(configuration: connection.configuration) {
                        try await Exchange.trust(name: name, publicKey: publicKey, on: $0)
                    }
                    print("trusted \(name)")
                }
            }
        }

        struct TrustList: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the trusted keys.")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var output: FormatOptions

            struct Row: Encodable { let name: String; let public_key: String; let added_at: String }

            func run() async throws {
                try await reportingFailures {
                    try await connection.requireOperator(.exchange)
                    let keys = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await Exchange.trusted(on: $0) }
                    try output.emit(keys.map { Row(name: $0.name, public_key: $0.publicKey, added_at: LocalTime.iso($0.addedAt)) },
                                    columns: ["name", "public key", "added"], rows: keys.map { [$0.name, $0.publicKey, LocalTime.display($0.addedAt)] })
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a peer's bundle: refused, with nothing stored, unless its signature is valid and by a trusted key.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The bundle file.") var file: String

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.exchange)
                guard let data = try InputFile.contents(atPath: file) else { throw CommandFailure(message: "\(file): cannot read it") }
                guard data.count <= 10_000_000 else { throw CommandFailure(message: "\(file): \(data.count) bytes; a bundle is a few KiB") }
                let payload = try await PostgresConnection.withConnection(configuration: connection.configuration) {
                    try await Exchange.importBundle(data, path: file, on: $0)
                }
                print("imported \(payload.countyName) (\(payload.county)) \(payload.year) from \(payload.deployment)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the imported peer figures.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: FormatOptions

        struct Row: Encodable { let source: String; let county: String; let county_name: String; let year: Int; let exported_at: String; let imported_at: String }

        func run() async throws {
            try await reportingFailures {
                try await connection.requireOperator(.exchange)
                let list = try await PostgresConnection.withConnection(configuration: connection.configuration) { try await Exchange.imported(on: $0) }
                try output.emit(
                    list.map { Row(source: $0.source, county: $0.county, county_name: $0.countyName, year: $0.year,
                                   exported_at: LocalTime.iso($0.exportedAt), imported_at: LocalTime.iso($0.importedAt)) },
                    columns: ["source", "county", "name", "year", "exported", "imported"],
                    rows: list.map { [$0.source, $0.county, $0.countyName, String($0.year), LocalTime.display($0.exportedAt), LocalTime.display($0.importedAt)] })
            }
        }
    }
}

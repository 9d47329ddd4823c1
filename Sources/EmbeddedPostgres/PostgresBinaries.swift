import Foundation

/// Finds the folder holding `initdb`, `pg_ctl` and `postgres`.
enum PostgresBinaries {
    static let environmentVariable = "TONGXIN_PG_BINDIR"
    static let preferred = "/usr/lib/postgresql/15/bin"
    static let debianRoot = "/usr/lib/postgresql"

    /// In order: `explicit` (Options.binDirectory), `$TONGXIN_PG_BINDIR`, /usr/lib/postgresql/15/bin,
    /// the highest /usr/lib/postgresql/*/bin, and last the `--bindir` of a `pg_config` on PATH
    /// (Homebrew and other non-Debian installs). A folder named explicitly must have initdb.
    static func locate(explicit: String?) throws -> String {
        if let explicit {
            return try validated(explicit, source: "Options.binDirectory")
        }
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            return try validated(fromEnvironment, source: environmentVariable)
        }
        if hasServerTools(preferred) {
            return preferred
        }
        if let newest = newestDebianBinDirectory() {
            return newest
        }
        if let fromPGConfig = pgConfigBinDirectory(), hasServerTools(fromPGConfig) {
            return fromPGConfig
        }
        throw EmbeddedPostgresError(
            step: .discover,
            message: "no PostgreSQL server binaries (initdb) in \(preferred) or \(debianRoot)/*/bin; "
                + "install them with `apt-get install -y postgresql` or set \(environmentVariable)")
    }

    static func hasServerTools(_ directory: String) -> Bool {
        let fileManager = FileManager.default
        return ["initdb", "pg_ctl", "postgres"].allSatisfy {
            fileManager.isExecutableFile(atPath: directory + "/" + $0)
        }
    }

    private static func validated(_ directory: String, source: String) throws -> String {
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        guard hasServerTools(trimmed) else {
            throw EmbeddedPostgresError(
                step: .discover,
                message: "\(source)=\(directory) has no initdb, pg_ctl and postgres; "
                    + "install them with `apt-get install -y postgresql`")
        }
        return trimmed
    }

    /// The /usr/lib/postgresql/<version>/bin with initdb and the highest version ("9.6" < "15" < "16").
    private static func newestDebianBinDirectory() -> String? {
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: debianRoot) else { return nil }
        func key(_ version: String) -> [Int] {
            version.split(separator: ".").map { Int($0) ?? -1 }
        }
        return versions
            .filter { hasServerTools("\(debianRoot)/\($0)/bin") }
            .sorted { key($0).lexicographicallyPrecedes(key($1)) }
            .last
            .map { "\(debianRoot)/\($0)/bin" }
    }

    private static func pgConfigBinDirectory() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let fileManager = FileManager.default
        guard let pgConfig = path.split(separator: ":").map({ "\($0)/pg_config" })
            .first(where: { fileManager.isExecutableFile(atPath: $0) })
        else { return nil }
        guard let result = try? Subprocess.run(pgConfig, ["--bindir"], as: nil), result.status == 0 else {
            return nil
        }
        let directory = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return directory.isEmpty ? nil : directory
    }
}

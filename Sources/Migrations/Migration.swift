public import Foundation

/// Where a migration runs: the shared control schema, or every county's schema.
public enum MigrationScope: String, Sendable, CaseIterable {
    case control
    case county
}

/// One SQL file of `migrations/control` or `migrations/county`: `NNNN_name.sql`.
public struct Migration: Sendable, Hashable, CustomStringConvertible {
    public let scope: MigrationScope
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the text (line endings normalized to LF), in hex.
    public let checksum: String
    /// False when the first line is `-- tongxin:no-transaction` (for CREATE INDEX CONCURRENTLY).
    public let inTransaction: Bool

    public static let noTransactionMarker = "-- tongxin:no-transaction"

    /// `0007_add_unit_index.sql`
    public var fileName: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
    }

    public var description: String { "\(scope.rawValue)/\(fileName)" }

    /// Parses a file name and its text; throws a one-line error naming the file.
    public init(scope: MigrationScope, fileName: String, sql rawSQL: String) throws {
        guard let (version, name) = Migration.parse(fileName: fileName) else {
            throw MigrationError("\(scope.rawValue)/\(fileName): a migration file is named NNNN_name.sql (4 digits, then a-z, 0-9 and _)")
        }
        let sql = rawSQL.replacingOccurrences(of: "\r\n", with: "\n")
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw MigrationError("\(scope.rawValue)/\(fileName): the file is empty")
        }
        self.scope = scope
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hex(Array(sql.utf8))
        let firstLine = sql.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        self.inTransaction = firstLine.trimmingCharacters(in: .whitespaces) != Migration.noTransactionMarker
    }

    static func parse(fileName: String) -> (Int, String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        let parts = stem.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber),
            let version = Int(parts[0]), version > 0,
            !parts[1].isEmpty, parts[1].count <= 60,
            parts[1].unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        return (version, String(parts[1]))
    }
}

/// A failure of the migration machinery, on one line.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The control and county migrations, each in version order.
public struct MigrationSet: Sendable, Hashable {
    public let control: [Migration]
    public let county: [Migration]
    /// Where they came from: a folder, or "built in".
    public let source: String

    public init(control: [Migration], county: [Migration], source: String) throws {
        self.control = try MigrationSet.ordered(control)
        self.county = try MigrationSet.ordered(county)
        self.source = source
    }

    public func migrations(_ scope: MigrationScope) -> [Migration] {
        scope == .control ? control : county
    }

    private static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw MigrationError("\(a) and \(b) share version \(a.version)")
        }
        return sorted
    }

    /// Reads `directory/control/*.sql` and `directory/county/*.sql` (other files are ignored).
    public static func load(directory: String) throws -> MigrationSet {
        var found: [MigrationScope: [Migration]] = [:]
        for scope in MigrationScope.allCases {
            let folder = (directory as NSString).appendingPathComponent(scope.rawValue)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw MigrationError("\(folder): no such folder (a migrations folder has control/ and county/)")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
            found[scope] = try names.map { name in
                let path = (folder as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw MigrationError("\(path): cannot be read")
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    throw MigrationError("\(path): not UTF-8 text")
                }
                return try Migration(scope: scope, fileName: name, sql: text)
            }
        }
        return try MigrationSet(control: found[.control] ?? [], county: found[.county] ?? [], source: directory)
    }

    /// The migrations this binary was built with (see `scripts/embed-migrations.py`).
    public static func builtIn() throws -> MigrationSet {
        var control: [Migration] = []
        var county: [Migration] = []
        for file in EmbeddedMigrations.files {
            guard let scope = MigrationScope(rawValue: file.scope) else { continue }
            let migration = try Migration(scope: scope, fileName: file.name, sql: file.sql)
            if scope == .control { control.append(migration) } else { county.append(migration) }
        }
        return try MigrationSet(control: control, county: county, source: "built in")
    }

    /// `--migrations DIR`, else `TONGXIN_MIGRATIONS`, else the built-in set.
    public static func resolve(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> MigrationSet {
        if let explicit, !explicit.isEmpty { return try load(directory: explicit) }
        if let folder = environment["TONGXIN_MIGRATIONS"], !folder.isEmpty { return try load(directory: folder) }
        return try builtIn()
    }
}

import ArgumentParser
import Foundation
public import PostgresClient

/// `tongxin db …`: the database connection and what it holds.
struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Check the database connection and show what the database holds.",
        subcommands: [Check.self, Info.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect, print the server version and the round-trip time in ms.")

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reportingFailures {
                let report = try await DatabaseCheck.run(configuration: connection.configuration)
                print(report.lines.joined(separator: "\n"))
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the database's schemas and their tables.")

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reportingFailures {
                let report = try await DatabaseInfo.run(configuration: connection.configuration)
                print(report.lines.joined(separator: "\n"))
            }
        }
    }
}

/// What `tongxin db check` finds.
public struct DatabaseCheck: Sendable {
    public var serverVersion: String
    public var database: String
    public var user: String
    /// Median of several `SELECT 1` round trips.
    public var roundTripMilliseconds: Double

    public var lines: [String] {
        [
            "connected: PostgreSQL \(serverVersion), database \(database), user \(user)",
            "round trip: \(String(format: "%.3f", roundTripMilliseconds)) ms",
        ]
    }

    public static func run(configuration: PostgresConfiguration) async throws -> DatabaseCheck {
        try await PostgresConnection.withConnection(configuration: configuration) { connection in
            let row = try await connection.query(
                "SELECT current_setting('server_version'), current_database(), current_user"
            ).single()
            let (version, database, user) = try row.decode((String, String, String).self)
            var samples: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                try await connection.query("SELECT 1")
                let elapsed = ContinuousClock.now - start
                let (seconds, attoseconds) = elapsed.components
                samples.append(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
            }
            return DatabaseCheck(
                serverVersion: version, database: database, user: user,
                roundTripMilliseconds: samples.sorted()[samples.count / 2])
        }
    }
}

/// What `tongxin db info` lists: each schema outside the system ones, with its tables.
public struct DatabaseInfo: Sendable {
    public struct Schema: Sendable, Hashable {
        public var name: String
        public var tables: [String]
    }

    public var database: String
    public var serverVersion: String
    public var schemas: [Schema]

    public var lines: [String] {
        var out = ["database \(database) on PostgreSQL \(serverVersion): \(schemas.count) schema(s)"]
        for schema in schemas {
            let tables = schema.tables.isEmpty ? "no tables" : schema.tables.joined(separator: ", ")
            out.append("  \(schema.name): \(schema.tables.count) table(s): \(tables)")
        }
        return out
    }

    public static func run(configuration: PostgresConfiguration) async throws -> DatabaseInfo {
        try await PostgresConnection.withConnection(configuration: configuration) { connection in
            let header = try await connection.query(
                "SELECT current_database(), current_setting('server_version')"
            ).single().decode((String, String).self)
            let rows = try await connection.query(
                """
                SELECT n.nspname, coalesce(array_agg(c.relname::text ORDER BY c.relname)
                                           FILTER (WHERE c.relname IS NOT NULL), '{}')
                FROM pg_namespace n
                LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                  AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'
                GROUP BY n.nspname
                ORDER BY n.nspname
                """)
            let schemas = try rows.decode((String, [String]).self).map { Schema(name: $0.0, tables: $0.1) }
            return DatabaseInfo(database: header.0, serverVersion: header.1, schemas: schemas)
        }
    }
}

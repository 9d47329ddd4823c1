public import Foundation
import CLibPQ

/// How to reach the server, following libpq's conventions.
///
/// `connectionString` is a URI (`postgresql://user@host/db`) or a key=value string
/// (`host=/tmp dbname=tongxin`); when it is nil or empty, libpq's defaults apply: the `PG*`
/// environment variables, `~/.pgpass`, service files.
public struct PostgresConfiguration: Sendable {
    public var connectionString: String?
    /// Overrides the database named by the connection string or `PGDATABASE`.
    public var database: String?
    /// Sent as `fallback_application_name`, so a connection string's own name wins.
    public var applicationName: String
    /// Used when the connection string has no `connect_timeout`.
    public var connectTimeout: Duration
    /// Prepared statements kept per connection (least recently used are deallocated); 0 disables.
    public var statementCacheCapacity: Int

    public init(
        connectionString: String? = nil, applicationName: String = "tongxin",
        connectTimeout: Duration = .seconds(10), statementCacheCapacity: Int = 256
    ) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementCacheCapacity = statementCacheCapacity
    }

    /// `explicit` (a `--database-url` option) if given, else `DATABASE_URL`, else libpq's defaults.
    public static func resolve(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> PostgresConfiguration {
        if let explicit, !explicit.isEmpty { return PostgresConfiguration(connectionString: explicit) }
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return PostgresConfiguration(connectionString: url)
        }
        return PostgresConfiguration()
    }

    /// The settings as libpq environment variables (`PGHOST`, `PGPASSWORD`, …), for client
    /// programs such as pg_dump: a password then never shows on a command line.
    public func libpqEnvironment() throws -> [String: String] {
        let names: [String: String] = [
            "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
            "user": "PGUSER", "password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE",
            "options": "PGOPTIONS", "application_name": "PGAPPNAME", "sslmode": "PGSSLMODE",
            "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL",
            "requiressl": "PGREQUIRESSL", "connect_timeout": "PGCONNECT_TIMEOUT",
            "target_session_attrs": "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE",
            "krbsrvname": "PGKRBSRVNAME", "channel_binding": "PGCHANNELBINDING",
        ]
        var environment: [String: String] = [:]
        if let text = connectionString, !text.isEmpty {
            var message: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(text, &message) else {
                let reason = message.map { PostgresError.oneLine(String(cString: $0)) } ?? "cannot parse"
                if let message { PQfreemem(message) }
                throw PostgresError.misuse("connection string: \(reason)")
            }
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val, let name = names[String(cString: keyword)] {
                    environment[name] = String(cString: value)
                }
                option += 1
            }
        }
        if let database { environment["PGDATABASE"] = database }
        return environment
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> PostgresConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// The connection string with any password replaced, for logs and messages.
    public var redactedConnectionString: String {
        guard let text = connectionString, !text.isEmpty else { return "(libpq defaults)" }
        var out = text
        // URI form: scheme://user:password@host
        if let scheme = out.range(of: "://"), let at = out.range(of: "@", range: scheme.upperBound..<out.endIndex),
            let colon = out.range(of: ":", range: scheme.upperBound..<at.lowerBound)
        {
            out.replaceSubrange(colon.upperBound..<at.lowerBound, with: "****")
        }
        // key = value form (value bare or single-quoted with \' escapes) and URI query parameters.
        let pattern = #"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            let range = NSRange(out.startIndex..<out.endIndex, in: out)
            out = regex.stringByReplacingMatches(in: out, options: [], range: range, withTemplate: "$1****")
        }
        return out
    }
}

public import Foundation

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

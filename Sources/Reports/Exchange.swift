import Counties
public import Foundation
public import PostgresClient
import WorkflowStore
import TongxinBase

/// Signed bundles of a county's aggregated figures, exchanged between deployments (counties in
/// different provinces run their own). A bundle holds the annual report's figures without names
/// (no units, no peer committees, no people, no proposal text), signed with the exporting
/// deployment's Ed25519 key; the importer accepts it only with a valid signature by a key it
/// trusts, and stores it for the comparison, marked external.
public enum Exchange {
    public static let format = "tongxin-exchange-1"

    /// What is signed.
    public struct Payload: Codable, Sendable, Hashable {
        public var deployment: String
        public var county: String
        public var countyName: String
        public var year: Int
        public var exportedAt: String
        public var figures: AnnualReport

        enum CodingKeys: String, CodingKey {
            case deployment, county, year, figures
            case countyName = "county_name"
            case exportedAt = "exported_at"
        }
    }

    /// The file: the payload (base64 of its exact JSON bytes), the signer and the signature.
    public struct Bundle: Codable, Sendable, Hashable {
        public var format: String
        public var payload: String
        public var signer: String
        public var publicKey: String
        public var signature: String

        enum CodingKeys: String, CodingKey {
            case format, payload, signer, signature
            case publicKey = "public_key"
        }
    }

    /// A deployment's key file: its name and private key.
    public struct Key: Sendable {
        public let name: String
        public let privateKey: Data
        public var publicKey: String { (try? Ed25519.publicKey(of: privateKey).base64EncodedString()) ?? "" }

        public init(name: String, privateKey: Data) {
            self.name = name
            self.privateKey = privateKey
        }

        /// `tongxin-exchange-key 1`, `name: …`, `private: <base64>` lines.
        public var fileText: String {
            "tongxin-exchange-key 1\nname: \(name)\nprivate: \(privateKey.base64EncodedString())\npublic: \(publicKey)\n"
        }

        public static func parse(_ text: String, path: String) throws -> Key {
            var name: String?
            var key: Data?
            let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            guard lines.first == "tongxin-exchange-key 1" else { throw CountyError("\(path): not a tongxin exchange key file") }
            for line in lines.dropFirst() {
                if line.hasPrefix("name: ") { name = String(line.dropFirst(6)) }
                if line.hasPrefix("private: ") { key = Data(base64Encoded: String(line.dropFirst(9))) }
            }
            guard let name, !name.isEmpty, let key, key.count == 32 else { throw CountyError("\(path): the key file is damaged (name or private key)") }
            return Key(name: name, privateKey: key)
        }
    }

    /// Checks a deployment or trust name: 1–100 characters, no control characters.
    public static func validName(_ name: String, field: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CountyError("\(field): use 1 to 100 characters without control characters")
        }
        return trimmed
    }

    /// The figures without names: what leaves the deployment.
    public static func anonymized(_ report: AnnualReport) -> AnnualReport {
        var figures = report
        figures.supervisedUnitNames = []
        figures.hostedPeers = []
        figures.visitedPeers = []
        figures.session = nil
        return figures
    }

    /// A signed bundle of `report`.
    public static func bundle(_ report: AnnualReport, key: Key, exportedAt: Date) throws -> Bundle {
        let payload = Payload(
            deployment: key.name, county: report.county, countyName: report.countyName, year: report.year,
            exportedAt: LocalTime.iso(exportedAt), figures: anonymized(report))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try encoder.encode(payload)
        let signature = try Ed25519.sign(bytes, privateKey: key.privateKey)
        return Bundle(
            format: format, payload: bytes.base64EncodedString(), signer: key.name,
            publicKey: try Ed25519.publicKey(of: key.privateKey).base64EncodedString(), signature: signature.base64EncodedString())
    }

    /// Reads and checks a bundle file's text: its format, its signature by `publicKey`, its
    /// payload. The caller checks that the key is trusted.
    public static func open(_ data: Data, path: String) throws -> (bundle: Bundle, payload: Payload) {
        let bundle: Bundle
        do {
            bundle = try JSONDecoder().decode(Bundle.self, from: data)
        } catch {
            throw CountyError("\(path): not an exchange bundle (or unsigned: it needs payload, signer, public_key and signature)")
        }
        guard bundle.format == format else { throw CountyError("\(path): format \"\(bundle.format.prefix(40))\", not \(format)") }
        guard let payloadBytes = Data(base64Encoded: bundle.payload), let signature = Data(base64Encoded: bundle.signature),
              let publicKey = Data(base64Encoded: bundle.publicKey), publicKey.count == 32
        else { throw CountyError("\(path): the payload, signature or public key is not valid base64") }
        guard Ed25519.verify(signature, of: payloadBytes, publicKey: publicKey) else {
            throw CountyError("\(path): the signature does not match the contents: the bundle was altered or not signed by \(bundle.signer.prefix(60))")
        }
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: payloadBytes)
        } catch {
            throw CountyError("\(path): the signed contents are not figures this version reads")
        }
        do {
            _ = try CountyCode(payload.county)
        } catch {
            throw CountyError("\(path): \(error)")
        }
        guard (2000...2100).contains(payload.year), payload.figures.year == payload.year, payload.figures.county == payload.county else {
            throw CountyError("\(path): the figures do not match the bundle's county and year")
        }
        _ = try validName(payload.countyName, field: "\(path): county name")
        guard payload.figures.countyName == payload.countyName else {
            throw CountyError("\(path): the figures name another county than the bundle")
        }
        guard (try? LocalTime.parse(payload.exportedAt, field: "exported_at")) != nil else {
            throw CountyError("\(path): exported_at \"\(payload.exportedAt.prefix(40))\" is not a time")
        }
        for value in [payload.figures.medianDaysToRegister, payload.figures.medianDaysToReply, payload.figures.proposalsPer100Members,
                      payload.figures.microSuggestionsMedianDaysToReply].compactMap({ $0 })
        where !value.isFinite || value < 0 || value > 1_000_000 {
            throw CountyError("\(path): a figure is out of range (\(value))")
        }
        return (bundle, payload)
    }

    static let control = CountyRegistry.controlSchema

    /// `exchange trust add`: trusts `publicKey` (base64 Ed25519) under `name`.
    public static func trust(name: String, publicKey: String, on connection: PostgresConnection) async throws {
        let name = try validName(name, field: "NAME")
        guard let key = Data(base64Encoded: publicKey.trimmingCharacters(in: .whitespaces)), key.count == 32 else {
            throw CountyError("PUBLIC_KEY: not an Ed25519 public key (44 characters of base64, as `exchange keygen` prints)")
        }
        do {
            try await connection.query("""
                INSERT INTO \(identifier: control).exchange_trust (name, public_key) VALUES (\(name), \(key.base64EncodedString()))
                """)
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            throw CountyError("a trusted key named \(name) or with this public key exists already")
        }
    }

    public struct Trusted: Sendable, Hashable, Codable {
        public let name: String
        public let publicKey: String
        public let addedAt: Date
    }

    public static func trusted(on connection: PostgresConnection) async throws -> [Trusted] {
        try await connection.query("SELECT name, public_key, added_at FROM \(identifier: control).exchange_trust ORDER BY name")
            .decode((String, String, Date).self).map { Trusted(name: $0.0, publicKey: $0.1, addedAt: $0.2) }
    }

    /// `exchange import`: a bundle signed by a trusted key; stored (replacing an earlier one of
    /// the same source, county and year) in one statement, or refused with nothing stored.
    public static func importBundle(_ data: Data, path: String, on connection: PostgresConnection) async throws -> Payload {
        let (bundle, payload) = try open(data, path: path)
        let rows = try await connection.query("""
            SELECT name FROM \(identifier: control).exchange_trust WHERE public_key = \(bundle.publicKey)
            """)
        guard let source = try rows.first?.decode(String.self) else {
            throw CountyError("\(path): signed by a key this deployment does not trust (\(bundle.signer.prefix(60))); add it with `tongxin exchange trust add NAME PUBLIC_KEY` once you have checked it with them")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var figures = payload.figures
        figures.external = true
        let json = String(decoding: try encoder.encode(figures), as: UTF8.self)
        let exported = try LocalTime.parse(payload.exportedAt, field: "exported_at")
        // A newer bundle replaces an older one; an older one is refused (figures never go back).
        let stored = try await connection.query("""
            INSERT INTO \(identifier: control).peer_rollup (source, county, year, county_name, figures, exported_at)
            VALUES (\(source), \(payload.county), \(payload.year), \(payload.countyName), \(json)::jsonb, \(exported))
            ON CONFLICT (source, county, year) DO UPDATE
                SET county_name = excluded.county_name, figures = excluded.figures, exported_at = excluded.exported_at, imported_at = now()
                WHERE peer_rollup.exported_at < excluded.exported_at
            RETURNING 1
            """)
        guard stored.count == 1 else {
            throw CountyError("\(path): \(payload.countyName) \(payload.year) from \(source) is stored already from an export as new or newer")
        }
        return payload
    }

    public struct Imported: Sendable, Hashable, Codable {
        public let source: String
        public let county: String
        public let countyName: String
        public let year: Int
        public let exportedAt: Date
        public let importedAt: Date
    }

    public static func imported(on connection: PostgresConnection) async throws -> [Imported] {
        try await connection.query("""
            SELECT source, county, county_name, year, exported_at, imported_at FROM \(identifier: control).peer_rollup
            ORDER BY year, source, county
            """).decode((String, String, String, Int, Date, Date).self).map {
            Imported(source: $0.0, county: $0.1, countyName: $0.2, year: $0.3, exportedAt: $0.4, importedAt: $0.5)
        }
    }

    /// The imported peers' rows of `year` for the comparison (external).
    public static func peerRows(year: Int, counties: [String]?, on connection: PostgresConnection) async throws -> [ComparisonRow] {
        let codes = counties ?? []
        let rows = try await connection.query("""
            SELECT source, figures::text, imported_at FROM \(identifier: control).peer_rollup
            WHERE year = \(year) AND (cardinality(\(codes)::text[]) = 0 OR county = ANY(\(codes)::text[]))
            ORDER BY source, county
            """)
        let decoder = JSONDecoder()
        return try rows.map { row in
            let (source, figures, imported) = try row.decode((String, String, Date).self)
            var report = try decoder.decode(AnnualReport.self, from: Data(figures.utf8))
            report.external = true
            var comparisonRow = Comparison.row(report, computedAt: LocalTime.iso(imported))
            comparisonRow.countyName = "\(report.countyName)（\(source)）"
            return comparisonRow
        }
    }
}

import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Reports
import Testing
import WorkflowStore

func hex(_ text: String) -> Data {
    var data = Data()
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        data.append(UInt8(text[index..<next], radix: 16) ?? 0)
        index = next
    }
    return data
}

@Suite struct ExchangeTests {
    @Test func ed25519MatchesRFC8032() throws {
        // RFC 8032 section 7.1, tests 1 and 2.
        let seed1 = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        #expect(try Ed25519.publicKey(of: seed1) == hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let sig1 = try Ed25519.sign(Data(), privateKey: seed1)
        #expect(sig1 == hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
        let seed2 = hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
        let public2 = hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let sig2 = hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(try Ed25519.sign(Data([0x72]), privateKey: seed2) == sig2)
        #expect(Ed25519.verify(sig2, of: Data([0x72]), publicKey: public2))
        #expect(!Ed25519.verify(sig2, of: Data([0x73]), publicKey: public2))
        #expect(!Ed25519.verify(sig1, of: Data([0x72]), publicKey: public2))
    }

    func report() throws -> AnnualReport {
        let json = """
            {"as_of":"2022-03-01","basic":8,"converted":3,"county":"leiyang","county_name":"耒阳市","declined":2,"evaluated":57,
             "external":false,"filed":65,"filed_at_session":65,"hosted_peers":["昭平县政协"],"key_proposals":5,
             "median_days_to_register":15,"median_days_to_reply":59.5,"members":216,"merged":2,"micro_suggestions":37,
             "micro_suggestions_median_days_to_reply":13,"micro_suggestions_on_time_rate":{"count":37,"of":37,"value":1,"low":0.9,"high":1},
             "not_evaluated":0,"online_duty_days":104,"online_events":13,"on_time_rate":{"count":57,"of":57,"value":1,"low":0.93,"high":1},
             "overdue_now":{"count":0,"of":57,"value":0,"low":0,"high":0.06},"proposals_per_100_members":30.1,
             "registered":57,"registration_rate":{"count":57,"of":64,"value":0.89,"low":0.79,"high":0.95},"rehandled":0,
             "rehandling_rate":{"count":0,"of":57,"value":0,"low":0,"high":0.06},"replied":57,"replied_on_time":57,
             "reply_categories":{"A":{"count":30,"share":{"count":30,"of":62,"value":0.48,"low":0.36,"high":0.6}}},
             "satisfaction_rate":{"count":57,"of":57,"value":1,"low":0.93,"high":1},"satisfied":49,"session":"十届七次会议",
             "solved_rate":{"count":30,"of":62,"value":0.48,"low":0.36,"high":0.6},
             "strict_satisfaction_rate":{"count":49,"of":57,"value":0.86,"low":0.74,"high":0.93},"studios_opened":35,"studios_total":42,
             "supervised_unit_names":["城管局"],"supervised_units":5,"unsatisfied":0,"visited_peers":["临武县政协"],
             "visits_hosted":3,"visits_made":2,"withdrawn":1,"year":2021}
            """
        return try JSONDecoder().decode(AnnualReport.self, from: Data(json.utf8))
    }

    @Test func aRateFromElsewhereIsRebuiltFromItsCountsOrRefused() throws {
        let forged = try JSONDecoder().decode(Rate.self, from: Data(#"{"count": 5, "of": 10, "value": 1e300, "low": -4, "high": 9}"#.utf8))
        #expect(forged == Rate(5, of: 10))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Rate.self, from: Data(#"{"count": 11, "of": 10}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Rate.self, from: Data(#"{"count": -1, "of": 10}"#.utf8)) }
    }

    @Test func aBundleCarriesFiguresWithoutNamesAndAnyChangeBreaksIt() throws {
        let (seed, _) = try Ed25519.generate()
        let key = Exchange.Key(name: "湖南省衡阳市政协", privateKey: seed)
        let bundle = try Exchange.bundle(try report(), key: key, exportedAt: Date(timeIntervalSince1970: 1_640_000_000))
        let data = try JSONEncoder().encode(bundle)
        let (_, payload) = try Exchange.open(data, path: "b.json")
        #expect(payload.figures.filed == 65 && payload.figures.onTimeRate.count == 57)
        #expect(payload.figures.supervisedUnitNames.isEmpty && payload.figures.hostedPeers.isEmpty && payload.figures.visitedPeers.isEmpty)
        #expect(payload.figures.supervisedUnits == 5)  // the count stays, the names go
        // Tampered: one figure changed in the payload.
        var tampered = bundle
        let original = String(decoding: Data(base64Encoded: bundle.payload) ?? Data(), as: UTF8.self)
        tampered.payload = Data(original.replacingOccurrences(of: "\"filed\":65", with: "\"filed\":95").utf8).base64EncodedString()
        #expect(tampered.payload != bundle.payload)
        let error = #expect(throws: CountyError.self) { try Exchange.open(try JSONEncoder().encode(tampered), path: "b.json") }
        #expect(error?.description == "b.json: the signature does not match the contents: the bundle was altered or not signed by 湖南省衡阳市政协")
        // Unsigned: no signature at all.
        let unsigned = #"{"format":"tongxin-exchange-1","payload":"e30=","signer":"x","public_key":"AAAA"}"#
        let missing = #expect(throws: CountyError.self) { try Exchange.open(Data(unsigned.utf8), path: "u.json") }
        #expect(missing?.description.hasPrefix("u.json: not an exchange bundle (or unsigned") == true)
    }

    @Test func onlyTrustedKeysImportAndARefusalStoresNothing() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2))
            defer { Task { await pool.close() } }
            _ = try await CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test").migrateControl()
            let (seed, publicKey) = try Ed25519.generate()
            let bundle = try Exchange.bundle(try report(), key: Exchange.Key(name: "衡阳", privateKey: seed), exportedAt: Date())
            let data = try JSONEncoder().encode(bundle)
            try await pool.withConnection { c in
                let untrusted = await thrownError { _ = try await Exchange.importBundle(data, path: "b.json", on: c) }
                #expect("\(untrusted.map { "\($0)" } ?? "")".hasPrefix("b.json: signed by a key this deployment does not trust (衡阳)"))
                #expect(try await Exchange.imported(on: c).isEmpty)
                try await Exchange.trust(name: "衡阳市政协", publicKey: publicKey.base64EncodedString(), on: c)
                let payload = try await Exchange.importBundle(data, path: "b.json", on: c)
                #expect(payload.county == "leiyang")
                // The same export again (or an older one) is refused: figures never go back.
                let again = await thrownError { _ = try await Exchange.importBundle(data, path: "b.json", on: c) }
                #expect("\(again.map { "\($0)" } ?? "")" == "b.json: 耒阳市 2021 from 衡阳市政协 is stored already from an export as new or newer")
                let imported = try await Exchange.imported(on: c)
                #expect(imported.map { "\($0.source) \($0.county) \($0.year)" } == ["衡阳市政协 leiyang 2021"])
                let rows = try await Exchange.peerRows(year: 2021, counties: nil, on: c)
                #expect(rows.map(\.external) == [true])
                #expect(rows.first?.rates["on_time_rate"]?.count == 57)
                let duplicate = await thrownError { try await Exchange.trust(name: "again", publicKey: publicKey.base64EncodedString(), on: c) }
                #expect("\(duplicate.map { "\($0)" } ?? "")" == "a trusted key named again or with this public key exists already")
            }
        }
    }
}

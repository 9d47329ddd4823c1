import Foundation
@testable import Migrations
import Testing

@Suite struct MigrationFileTests {
    @Test func sha256MatchesTheStandardTestVectors() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hex(Array(long.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileNamesGiveVersionAndNameAndBadNamesAreRefusedByName() throws {
        let m = try Migration(scope: .county, fileName: "0012_add_unit_index.sql", sql: "CREATE INDEX i ON t (a);\n")
        #expect(m.version == 12)
        #expect(m.name == "add_unit_index")
        #expect(m.fileName == "0012_add_unit_index.sql")
        #expect(m.inTransaction)
        for bad in ["12_x.sql", "0012-x.sql", "0012_.sql", "0012_X.sql", "0000_zero.sql", "abcd_x.sql", "0012_x.txt", "0012_x y.sql"] {
            let error = #expect(throws: MigrationError.self) { try Migration(scope: .county, fileName: bad, sql: "SELECT 1;") }
            #expect(error?.description.contains(bad) == true)
        }
        #expect(throws: MigrationError.self) { try Migration(scope: .county, fileName: "0001_empty.sql", sql: " \n") }
    }

    @Test func theNoTransactionMarkerOnTheFirstLineIsRecognized() throws {
        let marked = try Migration(scope: .county, fileName: "0002_idx.sql", sql: "-- tongxin:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n")
        #expect(!marked.inTransaction)
        let later = try Migration(scope: .county, fileName: "0002_idx.sql", sql: "SELECT 1;\n-- tongxin:no-transaction\n")
        #expect(later.inTransaction)
    }

    @Test func checksumsIgnoreLineEndingsButNotContent() throws {
        let unix = try Migration(scope: .county, fileName: "0001_a.sql", sql: "SELECT 1;\nSELECT 2;\n")
        let windows = try Migration(scope: .county, fileName: "0001_a.sql", sql: "SELECT 1;\r\nSELECT 2;\r\n")
        let changed = try Migration(scope: .county, fileName: "0001_a.sql", sql: "SELECT 1;\nSELECT 3;\n")
        #expect(unix.checksum == windows.checksum)
        #expect(unix.checksum != changed.checksum)
    }

    @Test func duplicateVersionsAreRefusedNamingBothFiles() throws {
        let a = try Migration(scope: .county, fileName: "0003_a.sql", sql: "SELECT 1;")
        let b = try Migration(scope: .county, fileName: "0003_b.sql", sql: "SELECT 2;")
        let error = #expect(throws: MigrationError.self) { try MigrationSet(control: [], county: [a, b], source: "test") }
        #expect(error?.description.contains("0003_a.sql") == true)
        #expect(error?.description.contains("0003_b.sql") == true)
    }

    @Test func theBinaryCarriesExactlyTheMigrationsOfTheFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations").path
        let onDisk = try MigrationSet.load(directory: folder)
        let builtIn = try MigrationSet.builtIn()
        #expect(!onDisk.control.isEmpty && !onDisk.county.isEmpty)
        #expect(builtIn.control == onDisk.control, "run scripts/embed-migrations.py")
        #expect(builtIn.county == onDisk.county, "run scripts/embed-migrations.py")
    }

    @Test func aFolderWithoutControlAndCountyIsRefused() throws {
        let error = #expect(throws: MigrationError.self) { try MigrationSet.load(directory: "/nonexistent-migrations") }
        #expect(error?.description.contains("/nonexistent-migrations/control") == true)
    }
}

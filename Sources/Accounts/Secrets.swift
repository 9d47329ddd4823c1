import CSodium
public import Foundation

/// Passwords, codes and tokens through libsodium (never home-made): argon2id for passwords,
/// the system's random bytes, SHA-256 for high-entropy secrets (one-time codes, session tokens),
/// constant-time comparison.
public enum Secrets {
    /// argon2id's cost: `ops` passes over `memoryKiB` of memory.
    public struct Cost: Sendable, Hashable {
        public var ops: Int
        public var memoryKiB: Int
        public init(ops: Int, memoryKiB: Int) {
            self.ops = ops
            self.memoryKiB = memoryKiB
        }
        /// libsodium's "interactive" cost (2 passes, 64 MiB): 60–100 ms per hash on the 2-core
        /// development machine (`make bench` prints it; the target is ≥ 50 ms).
        public static let standard = Cost(ops: 2, memoryKiB: 65_536)
    }

    private static let ready: Bool = sodium_init() >= 0

    private static func requireReady() throws {
        guard ready else { throw SecretsError("libsodium could not be initialized") }
    }

    /// The encoded argon2id hash of `password` (algorithm, cost and salt included).
    public static func hashPassword(_ password: String, cost: Cost) throws -> String {
        try requireReady()
        var out = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        // NUL-terminated, so never empty (an empty buffer has no address); the length excludes it.
        let chars = Array(password.utf8CString)
        let status = crypto_pwhash_str(&out, chars, UInt64(chars.count - 1), UInt64(cost.ops), cost.memoryKiB * 1024)
        guard status == 0 else { throw SecretsError("hashing a password failed (out of memory?)") }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches the encoded hash (constant time inside libsodium).
    public static func verifyPassword(_ password: String, hash: String) -> Bool {
        guard ready else { return false }
        var encoded = Array(hash.utf8CString)
        let chars = Array(password.utf8CString)
        let status = crypto_pwhash_str_verify(&encoded, chars, UInt64(chars.count - 1))
        return status == 0
    }

    /// Whether a stored hash was made with another cost than `cost` (it is remade at the next
    /// sign-in).
    public static func needsRehash(_ hash: String, cost: Cost) -> Bool {
        guard ready else { return false }
        var encoded = Array(hash.utf8CString)
        return crypto_pwhash_str_needs_rehash(&encoded, UInt64(cost.ops), cost.memoryKiB * 1024) != 0
    }

    /// `count` random bytes from the system's generator.
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        try requireReady()
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    /// SHA-256 as lowercase hex.
    public static func sha256Hex(_ text: String) -> String {
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_bytes()))
        let bytes = Array(text.utf8)
        _ = crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return hex(out)
    }

    /// Bytes as lowercase hex (a table, not String(format:): this runs on every web request).
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// Constant-time equality of two strings of the same length (false when lengths differ).
    public static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return sodium_memcmp(x, y, x.count) == 0
    }

    /// A session token: 256 random bits, base64url without padding.
    public static func sessionToken() throws -> String {
        base64URL(Data(try randomBytes(32)))
    }

    /// Base64 with the URL- and cookie-safe alphabet (`-`, `_`) and no padding.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A one-time code: 12 characters of Crockford's base32 (60 bits), in groups of 4.
    public static func oneTimeCode() throws -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let bytes = try randomBytes(12)
        let symbols = bytes.map { alphabet[Int($0) & 31] }
        return [0, 4, 8].map { String(symbols[$0..<($0 + 4)]) }.joined(separator: "-")
    }
}

extension Secrets {
    /// A typed one-time code as it was made: upper case, no separators, look-alikes read as
    /// Crockford's base32 reads them (O as 0, I and L as 1); nil unless 12 such symbols.
    public static func normalizedCode(_ typed: String) -> String? {
        var out = ""
        for c in typed.uppercased() where c != "-" && c != " " {
            switch c {
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default:
                guard "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c) else { return nil }
                out.append(c)
            }
        }
        return out.count == 12 ? out : nil
    }
}

public struct SecretsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import CCrypto
public import Foundation

/// Ed25519 keys and signatures through OpenSSL's libcrypto (no cryptography of our own).
public enum Ed25519 {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// A new key pair: (private seed, public key), 32 bytes each.
    public static func generate() throws -> (privateKey: Data, publicKey: Data) {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw Failure(description: "ed25519: no key context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_keygen(ctx, &key) == 1, let key else {
            throw Failure(description: "ed25519: key generation failed")
        }
        defer { EVP_PKEY_free(key) }
        var privateKey = Data(count: 32)
        var publicKey = Data(count: 32)
        var privateLength = 32
        var publicLength = 32
        let ok = privateKey.withUnsafeMutableBytes { p in
            EVP_PKEY_get_raw_private_key(key, p.bindMemory(to: UInt8.self).baseAddress, &privateLength)
        } == 1 && publicKey.withUnsafeMutableBytes { p in
            EVP_PKEY_get_raw_public_key(key, p.bindMemory(to: UInt8.self).baseAddress, &publicLength)
        } == 1
        guard ok, privateLength == 32, publicLength == 32 else { throw Failure(description: "ed25519: cannot read the new key") }
        return (privateKey, publicKey)
    }

    /// The public key of a private seed.
    public static func publicKey(of privateKey: Data) throws -> Data {
        let key = try load(privateKey: privateKey)
        defer { EVP_PKEY_free(key) }
        var publicKey = Data(count: 32)
        var length = 32
        guard publicKey.withUnsafeMutableBytes({ EVP_PKEY_get_raw_public_key(key, $0.bindMemory(to: UInt8.self).baseAddress, &length) }) == 1
        else { throw Failure(description: "ed25519: cannot derive the public key") }
        return publicKey
    }

    /// The 64-byte signature of `message`.
    public static func sign(_ message: Data, privateKey: Data) throws -> Data {
        let key = try load(privateKey: privateKey)
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { throw Failure(description: "ed25519: no signing context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1 else { throw Failure(description: "ed25519: cannot start signing") }
        var signature = Data(count: 64)
        var length = 64
        let ok = signature.withUnsafeMutableBytes { s in
            message.withUnsafeBytes { m in
                EVP_DigestSign(ctx, s.bindMemory(to: UInt8.self).baseAddress, &length, m.bindMemory(to: UInt8.self).baseAddress, m.count)
            }
        }
        guard ok == 1, length == 64 else { throw Failure(description: "ed25519: signing failed") }
        return signature
    }

    /// Whether `signature` is `publicKey`'s over `message`.
    public static func verify(_ signature: Data, of message: Data, publicKey: Data) -> Bool {
        guard signature.count == 64, publicKey.count == 32 else { return false }
        let key = publicKey.withUnsafeBytes { EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.bindMemory(to: UInt8.self).baseAddress, 32) }
        guard let key else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else { return false }
        let result = signature.withUnsafeBytes { s in
            message.withUnsafeBytes { m in
                EVP_DigestVerify(ctx, s.bindMemory(to: UInt8.self).baseAddress, 64, m.bindMemory(to: UInt8.self).baseAddress, m.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    private static func load(privateKey: Data) throws -> OpaquePointer {
        guard privateKey.count == 32 else { throw Failure(description: "ed25519: a private key has 32 bytes, not \(privateKey.count)") }
        let key = privateKey.withUnsafeBytes { EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.bindMemory(to: UInt8.self).baseAddress, 32) }
        guard let key else { throw Failure(description: "ed25519: not a private key") }
        return key
    }
}

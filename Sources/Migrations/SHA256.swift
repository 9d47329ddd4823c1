import CCrypto

/// SHA-256 for migration checksums and idempotency keys, from OpenSSL's libcrypto (already
/// linked: libpq needs it): a vetted implementation rather than one of our own.
package enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hex digits.
    package static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let message = Array(bytes)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest with SHA-256 fails only when the library cannot allocate a context.
        precondition(ok == 1 && length == 32, "libcrypto's SHA-256 failed")
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

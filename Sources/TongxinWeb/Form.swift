import Foundation
import Hummingbird
import HTTPTypes

/// Header names the server sets or reads.
enum Header {
    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let acceptLanguage = HTTPField.Name("Accept-Language")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// A submitted form: its fields (a name may repeat: checkboxes) and its files.
struct Form: Sendable {
    private(set) var fields: [(name: String, value: String)] = []
    private(set) var files: [String: (filename: String, bytes: [UInt8])] = [:]

    subscript(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// An uploaded file.
    func file(_ name: String) -> (filename: String, bytes: [UInt8])? { files[name] }

    /// Every value of a repeated field.
    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// A field that must be there and not blank.
    func required(_ name: String, _ label: String) throws -> String {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw FormProblem(message: label)
        }
        return value
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; bad escapes stay as typed.
    static func urlencoded(_ body: String) -> Form {
        var form = Form()
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts.first.map(String.init) ?? "")
            let value = decode(parts.count > 1 ? String(parts[1]) : "")
            form.fields.append((name, value))
        }
        return form
    }

    static func decode(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `multipart/form-data` (a CSV upload): each part's name, and its filename and bytes when a file.
    static func multipart(_ body: [UInt8], contentType: String) throws -> Form {
        guard let range = contentType.range(of: "boundary=") else { throw FormProblem(message: "multipart: no boundary") }
        var boundary = String(contentType[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty, boundary.count <= 200 else { throw FormProblem(message: "multipart: bad boundary") }
        let delimiter = Array(("--" + boundary).utf8)
        var form = Form()
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { throw FormProblem(message: "multipart: no parts") }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // The line break after the delimiter.
            if partStart + 1 < body.count, body[partStart] == 13, body[partStart + 1] == 10 { partStart += 2 }
            var partEnd = end
            if partEnd - 2 >= partStart, body[partEnd - 2] == 13, body[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart <= partEnd else { continue }
            let part = Array(body[partStart..<partEnd])
            guard let split = find([13, 10, 13, 10], in: part, from: 0) else { continue }
            let head = String(decoding: part[..<split], as: UTF8.self)
            let content = Array(part[(split + 4)...])
            var name: String?
            var filename: String?
            for line in head.split(whereSeparator: \.isNewline) where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: String(line))
                filename = parameter("filename", in: String(line))
            }
            guard let name else { continue }
            if let filename {
                form.files[name] = (filename, content)
            } else {
                form.fields.append((name, String(decoding: content, as: UTF8.self)))
            }
        }
        return form
    }

    private static func parameter(_ key: String, in line: String) -> String? {
        guard let range = line.range(of: " \(key)=\"") ?? line.range(of: ";\(key)=\"") else { return nil }
        let rest = line[range.upperBound...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<close])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

import Foundation
import PostgresClient
import Synchronization

/// A list of counties to create: one per line, `code,name[,region]` (or tab-separated);
/// blank lines and lines starting with `#` are skipped.
public struct CountyListEntry: Sendable, Hashable {
    public var code: CountyCode
    public var name: String
    public var region: String?
    /// The line in the file, for messages.
    public var line: Int
}

public enum CountyList {
    /// Parses and validates every line; the first bad one is an error naming its line.
    public static func parse(_ text: String) throws -> [CountyListEntry] {
        var entries: [CountyListEntry] = []
        var seen: [CountyCode: Int] = [:]
        // Lists from spreadsheets: CRLF line ends and a byte-order mark are fine.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, raw) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let separator: Character = line.contains("\t") ? "\t" : ","
            let fields = line.split(separator: separator, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard (2...3).contains(fields.count) else {
                throw CountyError("line \(number): expected code,name[,region], got \(fields.count) field(s)")
            }
            do {
                let code = try CountyCode(fields[0])
                if let earlier = seen[code] { throw CountyError("county \(code) is listed twice (line \(earlier))") }
                seen[code] = number
                let name = try CountyRegistry.validated(text: fields[1], field: "name", maximum: 100)
                let region = fields.count == 3 && !fields[2].isEmpty
                    ? try CountyRegistry.validated(text: fields[2], field: "region", maximum: 200) : nil
                entries.append(CountyListEntry(code: code, name: name, region: region, line: number))
            } catch let error as CountyError {
                throw CountyError("line \(number): \(error.description)")
            }
        }
        guard !entries.isEmpty else { throw CountyError("the list has no counties") }
        return entries
    }
}

extension CountyRegistry {
    /// Creates the listed counties, `jobs` at a time, each in its own transaction. Codes that
    /// exist already are refused before anything is created.
    public func createMany(
        _ entries: [CountyListEntry], jobs: Int = 2,
        progress: @escaping @Sendable (_ done: Int, _ total: Int, _ code: CountyCode, _ error: String?) -> Void = { _, _, _, _ in }
    ) async throws -> [(CountyCode, String?)] {
        try await migrateControl()
        let existing = Set(try await list().map(\.code))
        if let taken = entries.first(where: { existing.contains($0.code) }) {
            throw CountyError("line \(taken.line): county \(taken.code) already exists (nothing was created)")
        }
        let queue = CreateQueue()
        let total = entries.count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(jobs, total)) {
                group.addTask {
                    while let index = queue.next(below: total) {
                        let entry = entries[index]
                        var failure: String?
                        do {
                            _ = try await self.create(code: entry.code, name: entry.name, region: entry.region)
                        } catch {
                            failure = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
                        }
                        let done = queue.finish(index, failure)
                        progress(done, total, entry.code, failure)
                    }
                }
            }
            try await group.waitForAll()
        }
        let failures = queue.failures
        return entries.indices.map { (entries[$0].code, failures[$0]) }
    }
}

private final class CreateQueue: Sendable {
    private struct State {
        var next = 0
        var done = 0
        var failures: [Int: String] = [:]
    }

    private let state = Mutex(State())

    func next(below total: Int) -> Int? {
        state.withLock { s in
            guard s.next < total else { return nil }
            defer { s.next += 1 }
            return s.next
        }
    }

    func finish(_ index: Int, _ failure: String?) -> Int {
        state.withLock { s in
            if let failure { s.failures[index] = failure }
            s.done += 1
            return s.done
        }
    }

    var failures: [Int: String] { state.withLock { $0.failures } }
}

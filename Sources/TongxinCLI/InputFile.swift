import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file named on the command line: only a regular file, and not beyond a limit, so a
/// device (`/dev/zero`), a FIFO or a folder is refused with one line instead of reading forever.
enum InputFile {
    /// The largest input read (CSV imports, bundles, county archives are far smaller).
    static let limit = 1 << 30

    /// The file's bytes; nil when it does not exist or cannot be read (callers word that).
    static func contents(atPath path: String) throws -> Data? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CommandFailure(message: "\(path): not a regular file")
        }
        guard info.st_size <= limit else {
            throw CommandFailure(message: "\(path): \(info.st_size >> 20) MiB, larger than the \(limit >> 20) MiB an input may be")
        }
        return FileManager.default.contents(atPath: path)
    }
}

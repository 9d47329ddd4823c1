import Foundation

/// Files the programs write by replacing them (written beside and renamed into place): a path
/// that exists and is not a regular file — a device such as /dev/null, a folder, a socket — is
/// refused, since renaming over it would destroy it (run as root, /dev/null itself).
public enum OutputPath {
    public static func check(_ path: String, field: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // absent: it will be made
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw WorkflowError("\(field): \(oneLine(String(path.prefix(200)))) exists and is not a regular file; give the path of a file to write")
        }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creation of folders and files that hold secrets: folders 0700, files 0600.
public enum FilePermissions {
    /// Creates `path` (and its parents) if needed and guarantees it is a folder with mode 0700.
    public static func makePrivateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chmod(path, 0o700) == 0 else {
            throw SubImportError.io("cannot set mode 0700 on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Sets mode 0600 on an existing file; a missing file is not an error.
    public static func restrictFile(_ path: String) {
        _ = chmod(path, 0o600)
    }
}

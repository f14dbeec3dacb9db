#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a file looks like on disk: which file it is and how far it has been written.
/// Two equal signatures taken some time apart mean nobody wrote to it in between.
public struct FileSignature: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time, in nanoseconds since 1970.
    public var modified: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
    }

    /// The signature of the regular file at `path`, or nil when there is none (missing, a folder,
    /// a link to nowhere).
    public static func of(_ path: String) -> FileSignature? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileSignature(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// Whether nothing was written between the two observations (same file, same size and mtime).
    func sameContent(as other: FileSignature) -> Bool {
        device == other.device && inode == other.inode && size == other.size && modified == other.modified
    }
}

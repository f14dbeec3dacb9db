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

    init(_ info: stat) {
        self.init(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// What is at a path, looked at without following a link (`lstat`) nor opening anything.
    public enum Entry: Sendable, Equatable {
        /// Nothing (removed meanwhile).
        case missing
        /// A regular file, as it looks now.
        case regular(FileSignature)
        /// Anything else: a symbolic link (whatever it points to), FIFO, socket, device or folder.
        case special
    }

    /// What is at `path`, the entry itself: a link is `special`, never its target.
    public static func entry(at path: String) -> Entry {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        return info.st_mode & S_IFMT == S_IFREG ? .regular(FileSignature(info)) : .special
    }

    /// The signature of the regular file at `path` (the entry itself, never a link's target), or
    /// nil when there is none (missing, a link, a folder, a FIFO…).
    public static func of(_ path: String) -> FileSignature? {
        if case .regular(let signature) = entry(at: path) { return signature }
        return nil
    }

    /// Whether nothing was written between the two observations (same file, same size and mtime).
    func sameContent(as other: FileSignature) -> Bool {
        device == other.device && inode == other.inode && size == other.size && modified == other.modified
    }
}

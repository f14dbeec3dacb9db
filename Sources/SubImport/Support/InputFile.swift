import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An input file opened once, read-only, and known to be a regular file: everything read of it
/// (its hash, its rows) comes from this one descriptor, so the file cannot be swapped for
/// another between checks and reads. Opening never blocks (`O_NONBLOCK`: a FIFO without a
/// writer is seen, refused and closed at once) and never makes a terminal the controlling one.
public final class InputFile {
    /// The path it was opened at, for messages and the batch record.
    public let path: String
    /// The open descriptor (closed when the value is released).
    public let descriptor: Int32
    /// Which file it is and its size and mtime when opened.
    public let signature: FileSignature

    deinit { close(descriptor) }

    /// Why a path was not opened as an input file.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing at the path.
        case missing
        /// The entry is not a regular file (`kind` says what it is: a symbolic link, a FIFO, …).
        case notRegular(kind: String)
        /// The system refused to open it (`reason` is its error text).
        case cannotOpen(reason: String)

        public var description: String {
            switch self {
            case .missing: return "no such file"
            case .notRegular(let kind): return "\(kind), not a regular file: only regular files are read"
            case .cannotOpen(let reason): return "cannot open the file: \(reason)"
            }
        }
    }

    /// Opens `path` for reading. `followingLinks` false (the inbox): a symbolic link is refused as
    /// itself (`O_NOFOLLOW`), its target never opened nor read. Throws `Refusal` for anything that
    /// is not a regular file once opened (checked with `fstat` on the descriptor).
    public init(opening path: String, followingLinks: Bool) throws(Refusal) {
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw .missing }
            // ELOOP (a link under O_NOFOLLOW), ENXIO (a socket): say what the entry is.
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw .notRegular(kind: Self.kindName(info.st_mode))
            }
            throw .cannotOpen(reason: String(cString: strerror(code)))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .cannotOpen(reason: reason)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notRegular(kind: Self.kindName(info.st_mode))
        }
        // Reads of a regular file never block anyway; clear the flag for plain reads after.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        self.path = path
        self.descriptor = descriptor
        signature = FileSignature(info)
    }

    /// What an inode of mode `mode` is, in words.
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a folder"
        default: return "a special file"
        }
    }
}

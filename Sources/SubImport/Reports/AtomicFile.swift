import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a file atomically with mode 0600: a temporary file beside it, fsync, rename, fsync of
/// the folder. Readers see the old file or the complete new one, never a part.
final class AtomicFileWriter {
    let path: String
    private let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false

    init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        // A name of its own, short whatever the target's length; O_EXCL refuses any existing
        // entry, a link included, and the rename replaces a link at `path` instead of following it.
        temporaryPath =
            (directory.isEmpty ? "." : directory)
            + "/.subimport.\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SubImportError.io("cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends `bytes` (UTF-8), like `write(_:)`.
    func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw SubImportError.io("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the new content durable and puts it in place; with `syncingFolder` false the
    /// rename is durable only once the caller fsyncs the folder (`AtomicFileWriter.syncFolder`),
    /// which lets many files written together share one folder fsync.
    func commit(syncingFolder: Bool = true) throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw SubImportError.io("cannot fsync \(temporaryPath)") }
        close(descriptor)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw SubImportError.io("cannot rename \(temporaryPath) to \(path): \(reason)")
        }
        if syncingFolder { Self.syncFolder((path as NSString).deletingLastPathComponent) }
    }

    /// Makes the renames done in `directory` durable.
    static func syncFolder(_ directory: String) {
        let folder = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    deinit {
        if !finished {
            close(descriptor)
            unlink(temporaryPath)
        }
    }
}

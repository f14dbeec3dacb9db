import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive right to send from one state folder: `flock(LOCK_EX)` on `<state>/lock`.
///
/// Every command that sends (`watch`, `import`, `work`) holds it for its whole run, so two
/// processes on one state folder can never send the same row twice nor add their rates
/// together. The holder writes who it is (pid, command, start time) into the file, so a
/// refused process can name it. The kernel releases the lock when the holder exits, however it
/// dies (SIGKILL included): a restart never finds a stale lock.
public final class StateLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock of `stateDirectory` (creating the folder 0700 and the file 0600 if needed)
    /// and records the holder as `command`. Throws `SubImportError.stateInUse` naming the holder
    /// when another process has it; never waits. Throws `SubImportError.unsafeState` when the
    /// folder is not private (`FilePermissions.prepareStateDirectory`) or `lock` is a link, not
    /// a regular file, or someone else's: the lock file is never opened through a link.
    public static func acquire(stateDirectory: String, command: String) throws -> StateLock {
        try FilePermissions.prepareStateDirectory(stateDirectory)
        let path = (stateDirectory as NSString).appendingPathComponent("lock")
        try FilePermissions.checkStateFile(path)
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw SubImportError.unsafeState("\(path) is a symbolic link; the lock is never opened through links")
            }
            throw SubImportError.io("cannot open the state lock \(path): \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw SubImportError.unsafeState("\(path) is not a regular file")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = readHolder(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK {
                throw SubImportError.stateInUse(state: stateDirectory, holder: holder ?? "another subimport process")
            }
            throw SubImportError.io("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        let since = ISO8601DateFormatter().string(from: Date())
        let record = Array("subimport \(command) (pid \(getpid()), since \(since))\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return StateLock(path: path, descriptor: descriptor)
    }

    /// Who holds the lock, as its holder wrote it (nil when unreadable or empty).
    private static func readHolder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Releases the lock (it is also released when the process exits).
    public func release() {
        close(descriptor)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether some process still holds a file open for writing, from Linux's `/proc/<pid>/fd` and
/// `/proc/<pid>/fdinfo`.
///
/// It sees the processes this one may inspect (the same user, or every process for root) on
/// this machine; a writer on another machine (a network share) or another user's writer is
/// invisible, which is why the settle window is still applied. On systems without `/proc` it
/// finds no writer.
public enum OpenWriterCheck {
    /// Whether a visible process has the file `signature` names open with write access.
    public static func hasWriter(_ signature: FileSignature) -> Bool {
        guard let processes = opendir("/proc") else { return false }
        defer { closedir(processes) }
        while let entry = readdir(processes) {
            let pid = name(of: entry)
            guard !pid.isEmpty, pid.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { continue }
            if processHasWriter(pid: pid, signature) { return true }
        }
        return false
    }

    private static func processHasWriter(pid: String, _ signature: FileSignature) -> Bool {
        let folder = "/proc/\(pid)/fd"
        guard let descriptors = opendir(folder) else { return false }
        defer { closedir(descriptors) }
        while let entry = readdir(descriptors) {
            let fd = name(of: entry)
            guard !fd.hasPrefix(".") else { continue }
            var info = stat()
            guard stat(folder + "/" + fd, &info) == 0, UInt64(info.st_dev) == signature.device,
                UInt64(info.st_ino) == signature.inode
            else { continue }
            if opensForWriting(fdinfo: "/proc/\(pid)/fdinfo/\(fd)") { return true }
        }
        return false
    }

    /// Reads the `flags:` line (octal) of an fdinfo file and checks its access mode.
    private static func opensForWriting(fdinfo path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("flags:") {
            let digits = String(line.dropFirst("flags:".count)).trimmedSpaces()
            guard let flags = Int32(digits, radix: 8) else { return false }
            let access = flags & O_ACCMODE
            return access == O_WRONLY || access == O_RDWR
        }
        return false
    }

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

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
        !withWriters([signature]).isEmpty
    }

    /// Those of `signatures` that a visible process has open with write access, found in one
    /// pass over `/proc` whatever their number (a burst of files costs one scan, not one each).
    public static func withWriters(_ signatures: [FileSignature]) -> [FileSignature] {
        guard !signatures.isEmpty, let processes = opendir("/proc") else { return [] }
        defer { closedir(processes) }
        var wanted: [FileKey: [FileSignature]] = [:]
        for signature in signatures { wanted[FileKey(signature), default: []].append(signature) }
        var found: Set<FileKey> = []
        while found.count < wanted.count, let entry = readdir(processes) {
            let pid = name(of: entry)
            guard !pid.isEmpty, pid.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { continue }
            collectWriters(pid: pid, wanted: wanted, into: &found)
        }
        return signatures.filter { found.contains(FileKey($0)) }
    }

    /// A file's identity: its device and inode.
    private struct FileKey: Hashable {
        let device: UInt64
        let inode: UInt64
        init(_ signature: FileSignature) { (device, inode) = (signature.device, signature.inode) }
        init(device: UInt64, inode: UInt64) { (self.device, self.inode) = (device, inode) }
    }

    private static func collectWriters(pid: String, wanted: [FileKey: [FileSignature]], into found: inout Set<FileKey>)
    {
        let folder = "/proc/\(pid)/fd"
        guard let descriptors = opendir(folder) else { return }
        defer { closedir(descriptors) }
        while let entry = readdir(descriptors) {
            let fd = name(of: entry)
            guard !fd.hasPrefix(".") else { continue }
            var info = stat()
            guard stat(folder + "/" + fd, &info) == 0 else { continue }
            let key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            guard wanted[key] != nil, !found.contains(key) else { continue }
            if opensForWriting(fdinfo: "/proc/\(pid)/fdinfo/\(fd)") { found.insert(key) }
        }
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

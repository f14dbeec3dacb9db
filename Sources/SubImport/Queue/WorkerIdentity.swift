import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds a lease: `pid:<pid>:<random>@<host>`. A lease whose process is gone can be
/// rescued at once, without waiting for it to expire, by a process on the same host; on another
/// host (a shared PostgreSQL queue) only once it expires.
public struct WorkerIdentity: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// A new identity for this process.
    public init() {
        description = "pid:\(getpid()):\(UInt32.random(in: 0...UInt32.max))@\(Self.host)"
    }

    /// The identity named `description` (`pid:<pid>:<random>@<host>`): one that outlives the
    /// process that made it, like a claimed inbox file's (`ClaimToken`).
    init(named description: String) {
        self.description = description
    }

    /// This machine's host name (`gethostname`), or `localhost` when it has none.
    public static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }()

    /// Whether the process named in `owner` is certainly not running: only known for an owner on
    /// this host (an owner written before hosts were named is taken as local).
    public static func isDead(owner: String) -> Bool {
        let process = owner.split(separator: "@", maxSplits: 1)
        if process.count == 2, process[1] != host { return false }
        let parts = process.first?.split(separator: ":") ?? []
        guard parts.count >= 2, parts[0] == "pid", let pid = pid_t(parts[1]) else { return false }
        if pid == getpid() { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }
}

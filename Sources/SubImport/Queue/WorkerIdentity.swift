import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds a lease: `pid:<pid>:<random>`. A lease whose process is gone can be rescued at
/// once, without waiting for it to expire.
public struct WorkerIdentity: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// A new identity for this process.
    public init() {
        description = "pid:\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Whether the process named in `owner` is certainly not running on this machine.
    static func isDead(owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count >= 2, parts[0] == "pid", let pid = pid_t(parts[1]) else { return false }
        if pid == getpid() { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }
}

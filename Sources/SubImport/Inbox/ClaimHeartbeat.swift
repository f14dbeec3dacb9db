import Foundation

/// The shared claims a watch holds, kept alive: `beat` touches each claim's folder, so that
/// watches on other hosts see the claim is not abandoned (`InboxFolders.adoptableClaims`).
/// Safe from any thread.
final class ClaimHeartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var held: Set<String> = []

    /// Holds the claimed file at `path` from now on.
    func hold(_ path: String) {
        lock.lock()
        held.insert(path)
        lock.unlock()
    }

    /// Stops holding `path` (the file is gone from it).
    func release(_ path: String) {
        lock.lock()
        held.remove(path)
        lock.unlock()
    }

    /// Moves the held file at `path` out of its claim with `move` (archive or reject), then stops
    /// holding it; never while a beat runs, so a claim finished meanwhile is not taken as lost.
    func finish<Moved>(_ path: String, by move: () throws -> Moved) rethrows -> Moved {
        lock.lock()
        defer { lock.unlock() }
        let moved = try move()
        held.remove(path)
        return moved
    }

    /// The files held, in path order.
    var files: [String] {
        lock.lock()
        defer { lock.unlock() }
        return held.sorted()
    }

    /// Touches the folder of every claim held. Returns the files whose claim is gone (adopted by
    /// another watch, which saw this one silent too long), no longer held.
    func beat() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let lost = held.sorted().filter { !InboxFolders.touchClaim(of: $0) }
        held.subtract(lost)
        return lost
    }
}

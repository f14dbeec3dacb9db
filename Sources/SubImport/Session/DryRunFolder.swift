import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The throwaway state folder of `import --dry-run`: `<state>/dry-run/<pid>-<random>`, 0700,
/// held with a `StateLock` while the dry run lives.
///
/// It holds every password of the files being checked, so it never outlives its run: `remove`
/// deletes it at exit (and on SIGINT/SIGTERM), and a folder left by a run that was killed is
/// deleted by the next dry run or sending command on the same state folder
/// (`removeAbandoned`); its lock being free tells that its run is gone. It stays inside the
/// state folder (0700), never in the shared system temporary folder.
public final class DryRunFolder: @unchecked Sendable {
    /// The folder to use as the dry run's state folder.
    public let path: String
    private let lock: StateLock
    /// Folders this dry run created to hold its own (the state folder, `dry-run`), removed when left empty.
    private let createdParents: [String]
    private let removal = NSLock()
    private var removed = false

    /// Removes abandoned dry-run folders of `stateDirectory`, then creates and locks a new one.
    public init(stateDirectory: String, logger: Logger) throws {
        Self.removeAbandoned(stateDirectory: stateDirectory, logger: logger)
        let parent = Self.parent(of: stateDirectory)
        createdParents = [parent, stateDirectory].filter { !FileManager.default.fileExists(atPath: $0) }
        try FilePermissions.prepareStateDirectory(stateDirectory)
        try FilePermissions.makePrivateDirectory(parent)
        path = (parent as NSString).appendingPathComponent("\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        lock = try StateLock.acquire(stateDirectory: path, command: "import --dry-run")
    }

    /// Deletes the folder and everything in it, and the folders created to hold it when they are
    /// left empty (a dry run on a new state folder leaves no folder). Safe to call more than once,
    /// from any thread.
    public func remove() {
        removal.lock()
        defer { removal.unlock() }
        guard !removed else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
        lock.release()
        for folder in createdParents { _ = rmdir(folder) }
    }

    /// Deletes every dry-run folder of `stateDirectory` whose run is gone (its lock is free).
    public static func removeAbandoned(stateDirectory: String, logger: Logger) {
        let parent = parent(of: stateDirectory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names {
            let folder = (parent as NSString).appendingPathComponent(name)
            guard let lock = try? StateLock.acquire(stateDirectory: folder, command: "cleanup") else { continue }
            do {
                try FileManager.default.removeItem(atPath: folder)
                logger.notice("removed \(folder), left by an interrupted dry run")
            } catch {
                logger.error("cannot remove \(folder), left by an interrupted dry run: \(error)")
            }
            lock.release()
        }
    }

    private static func parent(of stateDirectory: String) -> String {
        (stateDirectory as NSString).appendingPathComponent("dry-run")
    }
}

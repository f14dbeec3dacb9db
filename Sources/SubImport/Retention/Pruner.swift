import Foundation

/// What one prune removed (or, in a dry run, would remove).
public struct PruneResult: Sendable {
    /// Finished batches deleted from the queue, with their jobs and attempts.
    public var batches: [PruneCandidate] = []
    /// Files deleted from `<state>/archive` (the source files of those batches).
    public var archivedFiles: [String] = []
    /// Files deleted from `<state>/rejected`, each with its `.reason.txt`.
    public var rejectedFiles: [String] = []
    /// The write-ahead log was truncated after the deletions (false: a reader held it, or nothing was deleted).
    public var walTruncated = false
}

/// Retention: removes what is finished and older than an age, and nothing else.
///
/// Guarantees:
/// - a batch goes only when every row is settled, it finished before the cut-off and its
///   report was written (or it was cancelled); its jobs and attempts (API keys included) are
///   deleted in one transaction, freed pages are overwritten (`secure_delete`) and the WAL is
///   then checkpointed and truncated, so the deleted rows leave no copy in `queue.sqlite*`;
/// - a batch's source file is deleted only when it lies in `<state>/archive` (where `watch`
///   put it): a file imported from elsewhere is the operator's and stays;
/// - a rejected file (with its `.reason.txt`) goes when it was rejected before the cut-off;
/// - reports are never touched;
/// - it takes no lock: it can run while `watch` works the same state folder (SQLite
///   serialises the writes; a batch re-queued by `retry` meanwhile is kept).
public struct Pruner: Sendable {
    public let store: any JobQueue
    let archive: String
    let rejected: String

    public init(store: any JobQueue) {
        self.store = store
        let state = store.directory.absolutePath
        archive = (state as NSString).appendingPathComponent("archive")
        rejected = (state as NSString).appendingPathComponent("rejected")
    }

    /// Removes (or with `dryRun` only lists) what finished more than `age` before `now`.
    public func prune(olderThan age: RetentionAge, now: Timestamp = now(), dryRun: Bool) throws -> PruneResult {
        let cutoff = now - age.seconds
        var result = PruneResult()
        for candidate in try store.pruneCandidates(finishedBefore: cutoff) {
            if !dryRun {
                guard try store.deleteFinishedBatch(candidate.batchID, finishedBefore: cutoff) else { continue }
            }
            result.batches.append(candidate)
            if let archived = archivedCopy(candidate.filePath) {
                if !dryRun { try remove(archived) }
                result.archivedFiles.append(archived)
            }
        }
        for file in rejectedBefore(cutoff) {
            if !dryRun {
                try remove(file)
                try remove(file + Self.reasonSuffix)
            }
            result.rejectedFiles.append(file)
        }
        if !dryRun && !result.batches.isEmpty {
            // Waits up to the busy timeout for readers of older snapshots.
            result.walTruncated = store.scrubErasedSecrets(wait: store.options.busyTimeout)
        }
        return result
    }

    static let reasonSuffix = ".reason.txt"

    /// `path` when it is a file directly inside `<state>/archive`, else nil.
    private func archivedCopy(_ path: String) -> String? {
        let absolute = path.absolutePath
        guard (absolute as NSString).deletingLastPathComponent == archive,
            FileManager.default.fileExists(atPath: absolute)
        else { return nil }
        return absolute
    }

    /// Rejected files (named without their `.reason.txt`) rejected before `cutoff`: the time of
    /// rejection is the reason file's modification time (it is written at rejection), else the
    /// file's own. A reason file left alone (a prune stopped between the two deletions) counts as
    /// its file.
    private func rejectedBefore(_ cutoff: Timestamp) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: rejected)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        let files = Set(
            names.map { $0.hasSuffix(Self.reasonSuffix) ? String($0.dropLast(Self.reasonSuffix.count)) : $0 })
        return files.sorted().compactMap { name in
            let path = (rejected as NSString).appendingPathComponent(name)
            let rejectedAt = Self.modificationTime(path + Self.reasonSuffix) ?? Self.modificationTime(path)
            guard let rejectedAt, rejectedAt < cutoff else { return nil }
            return path
        }
    }

    /// Deletes `path`; a file already gone is not an error.
    private func remove(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw SubImportError.io("cannot remove \(path): \(error.localizedDescription)")
        }
    }

    private static func modificationTime(_ path: String) -> Timestamp? {
        let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        return date?.timeIntervalSince1970
    }
}

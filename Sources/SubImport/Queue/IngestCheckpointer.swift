import Foundation
import GRDBSQLite

/// Copies the WAL's pages into the database file on a thread (and SQLite connection) of its
/// own while an ingest appends rows, so that the ingest's writer does not stop for the copy and
/// its two syncs (about a tenth of a second per 64 MiB of WAL, during which the reading thread
/// stopped too, its chunks waiting).
///
/// Only `PASSIVE` checkpoints are run: they never wait for, nor block, a writer or a reader of
/// any process, and copy only what every reader has moved past. The writer's own automatic
/// checkpoint stays on (at `QueueStore.ingestCheckpointBytes` of WAL), so the WAL is bounded
/// as before whatever happens here: it then finds most pages already copied and synced. A
/// checkpoint that fails (busy, I/O) is simply not done: the writer's own one does it later.
///
/// `noteAppended` is called by the writer after each committed chunk; `finish` waits for the
/// thread to end and closes its connection (the next `noteAppended` starts them again).
final class IngestCheckpointer: @unchecked Sendable {
    private let path: String
    /// Estimated WAL bytes written after which a checkpoint is started.
    private let threshold: Int
    private let condition = NSCondition()
    private var running = false
    private var requested = false
    private var stopping = false
    private var pending = 0
    private var copied = 0
    /// How long the thread waits for the next request before it ends on its own.
    private let idleSeconds: Double

    init(path: String, threshold: Int, idleSeconds: Double = 2) {
        self.path = path
        self.threshold = max(1, threshold)
        self.idleSeconds = idleSeconds
    }

    /// WAL frames copied into the database file by this checkpointer so far.
    var framesCopied: Int { condition.withLock { copied } }

    /// Whether the thread is running.
    var isRunning: Bool { condition.withLock { running } }

    /// Counts `bytes` more written to the WAL (an estimate); starts a checkpoint in the
    /// background once `threshold` bytes have been written since the last one started, unless
    /// one is still running. Never blocks on the checkpoint.
    func noteAppended(bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        pending += bytes
        guard pending >= threshold, !requested else { return }
        pending = 0
        requested = true
        if !running {
            running = true
            stopping = false
            let thread = Thread { [self] in run() }
            thread.name = "subimport.ingest-checkpoint"
            thread.start()
        }
        condition.broadcast()
    }

    /// Waits for a running checkpoint to end, then ends the thread and closes its connection.
    /// (The thread also ends on its own after `idleSeconds` without a request.)
    func finish() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        pending = 0
        condition.broadcast()
        while running { condition.wait() }
    }

    private func run() {
        var connection: OpaquePointer?
        let opened = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        if opened == SQLITE_OK {
            // Syncs as every queue connection does (the WAL before copying, the file after);
            // one read opens the WAL on this connection (a checkpoint before any does nothing).
            sqlite3_exec(connection, "PRAGMA synchronous = NORMAL; PRAGMA schema_version", nil, nil, nil)
        }
        while true {
            condition.lock()
            let idleUntil = Date(timeIntervalSinceNow: idleSeconds)
            while !requested && !stopping {
                if !condition.wait(until: idleUntil) { break }
            }
            if !requested || stopping || opened != SQLITE_OK {
                running = false
                requested = false
                condition.broadcast()
                condition.unlock()
                sqlite3_close_v2(connection)
                return
            }
            requested = false
            condition.unlock()
            var logFrames: Int32 = 0
            var copiedFrames: Int32 = 0
            let result = sqlite3_wal_checkpoint_v2(
                connection, "main", SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
            if result == SQLITE_OK { condition.withLock { copied += Int(copiedFrames) } }
        }
    }
}

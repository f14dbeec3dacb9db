import Foundation
import GRDB

/// What identifies a batch: the file's content, the provider, the mode and the account.
public struct BatchIdentity: Sendable, Equatable {
    public var sha256: String
    public var provider: String
    public var mode: String
    public var account: String
    /// The column defaults the rows were read with (`type=simple`), or empty: the same content
    /// read with other defaults makes other rows.
    public var defaults: String

    public init(sha256: String, provider: String, mode: String, account: String, defaults: String = "") {
        self.sha256 = sha256
        self.provider = provider
        self.mode = mode
        self.account = account
        self.defaults = defaults
    }

    /// The key stored in `batch.identity` (by every store).
    public var key: String { "\(sha256)|\(provider)|\(mode)|\(account)" + (defaults.isEmpty ? "" : "|\(defaults)") }

    /// A short, stable id derived from the identity: the same content for the same account
    /// always gets the same batch id.
    public var batchID: String { String(Digest.sha256Hex(of: Array(key.utf8)).prefix(12)) }
}

extension QueueStore {
    /// The batch with this id (or unique id prefix).
    public func batch(id: String) throws -> Batch? {
        try read { db in
            if let exact = try Batch.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ?", arguments: [id]) {
                return exact
            }
            let matches = try Batch.fetchAll(
                db, sql: "SELECT * FROM batch WHERE id LIKE ? LIMIT 2", arguments: [id + "%"])
            return matches.count == 1 ? matches[0] : nil
        }
    }

    /// Every batch, oldest first; pruned ones (identities kept after `prune`) only with `includingPruned`.
    public func batches(includingPruned: Bool) throws -> [Batch] {
        try read { db in
            try Batch.fetchAll(
                db,
                sql: "SELECT * FROM batch" + (includingPruned ? "" : " WHERE state != 'pruned'")
                    + " ORDER BY created_at, id")
        }
    }

    /// How many batches `prune` has reduced to their identity.
    public func prunedBatchCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM batch WHERE state = 'pruned'") ?? 0 }
    }

    /// Starts ingesting a batch, in one transaction: creates it in state `ingesting` owned by
    /// `owner`, or empties an earlier `ingesting` batch of the same identity whose process is gone
    /// (none of its rows could have been sent). Throws when another live process is reading the
    /// same content for the same account right now.
    public func beginIngest(identity: BatchIdentity, fileName: String, filePath: String, owner: WorkerIdentity) throws
        -> IngestStart
    {
        let id = identity.batchID
        return try write { db in
            if let existing = try Batch.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ?", arguments: [id]) {
                if existing.state != .ingesting { return .exists(existing) }
                let holder: String? = try String.fetchOne(
                    db, sql: "SELECT ingest_owner FROM batch WHERE id = ?", arguments: [id])
                if let holder, holder != owner.description, !WorkerIdentity.isDead(owner: holder) {
                    throw SubImportError.unreadableFile(
                        path: filePath,
                        reason:
                            "this content is being queued right now by another process (\(holder)); try again when it is done"
                    )
                }
            }
            let stale = try JobIDs.range(db, batchID: id)
            try db.execute(sql: "DELETE FROM job WHERE id BETWEEN ? AND ?", arguments: [stale.low, stale.high])
            try db.execute(sql: "DELETE FROM batch_count WHERE seq = ?", arguments: [stale.low >> 32])
            try db.execute(
                sql: """
                    INSERT INTO batch (id, seq, identity, file_name, file_path, sha256, provider, mode, account,
                                       state, ingest_owner, created_at)
                    VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM batch), ?, ?, ?, ?, ?, ?, ?, 'ingesting', ?, ?)
                    ON CONFLICT(id) DO UPDATE SET state = 'ingesting', file_name = excluded.file_name,
                        file_path = excluded.file_path, ingest_owner = excluded.ingest_owner,
                        total_rows = 0, unsettled = 0
                    """,
                arguments: [
                    id, identity.key, fileName, filePath, identity.sha256, identity.provider, identity.mode,
                    identity.account, owner.description, now(),
                ])
            return .started(batchID: id)
        }
    }

    /// Appends ingested rows to a batch in one transaction. This is the hot path of ingesting
    /// millions of rows: it binds values straight to SQLite (`BulkInsert`) instead of through
    /// GRDB's argument boxing.
    ///
    /// The batch's kept counts by state (`batch_count`) grow by the chunk's rows in the same
    /// transaction. Throws `unknownBatch` (and writes nothing) when the batch is not in the queue. SQLite's
    /// own foreign-key check of `job.batch_id` is off for this one transaction (it is a lookup
    /// in the batch table for every row, about a quarter of SQLite's work per row); the check
    /// is made once instead, inside the same write transaction, so no row can name a missing
    /// batch. The connection enforces foreign keys again before any other write runs on it.
    public func appendJobs(batchID: String, _ jobs: [NewJob]) throws {
        guard !jobs.isEmpty else { return }
        try pool.writeWithoutTransaction { db in
            // Only outside a transaction does the foreign_keys pragma take effect.
            let checkpointPages = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000
            let pageSize = max(512, try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096)
            try db.execute(
                sql:
                    "PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = \(Self.ingestCheckpointBytes / pageSize)")
            let appended = Result { try db.inTransaction(.immediate) { try insertJobs(db, batchID: batchID, jobs) } }
            try db.execute(sql: "PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = \(checkpointPages)")
            try appended.get()
        }
        ingestCheckpointer.noteAppended(bytes: Self.estimatedWALBytes(jobs))
    }

    /// About what appending `jobs` writes to the WAL: their text, and the rest of each row and
    /// its index entry, with the b-tree pages' free space.
    private static func estimatedWALBytes(_ jobs: [NewJob]) -> Int {
        jobs.reduce(0) { $0 + $1.fields.utf8.count + ($1.secret?.utf8.count ?? 0) + 64 }
    }

    /// WAL bytes after which a commit of ingested rows checkpoints (SQLite's default is 1,000
    /// pages): 64 MiB, so that a million rows take a few checkpoints (each one syncs the WAL and
    /// the database file, stalling the writer) instead of dozens, whatever the page size. Every
    /// eighth of this, a checkpoint is started in the background (`IngestCheckpointer`), so the
    /// writer's own ones find most pages copied already.
    static let ingestCheckpointBytes = 64 << 20

    /// Rows per `INSERT` statement run by `appendJobs` (the last few of a chunk go one by one):
    /// SQLite then opens its cursors and runs the statement's setup once per this many rows.
    static let rowsPerInsert = 32

    /// The rows of `appendJobs`, inserted in the open transaction; `.commit` once all are.
    private func insertJobs(_ db: Database, batchID: String, _ jobs: [NewJob]) throws -> Database.TransactionCompletion
    {
        guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM batch WHERE id = ?", arguments: [batchID]) else {
            throw SubImportError.unknownBatch(batchID)
        }
        let base = JobIDs.id(seq: seq, row: 0)
        var many = try BulkInsert(db, sql: Self.insertManyJobsSQL)
        var one = try BulkInsert(db, sql: Self.insertOneJobSQL)
        // The rows are read in place (through a pointer, never copied out of the array): no
        // retain and release of each row's strings on this, the writer's, thread.
        try jobs.withUnsafeBufferPointer { rows in
            var next = 0
            while rows.count - next >= Self.rowsPerInsert {
                try many.text(batchID)
                for index in next..<(next + Self.rowsPerInsert) {
                    try Self.bind(rows.baseAddress! + index, base: base, to: &many)
                }
                try many.step()
                next += Self.rowsPerInsert
            }
            for index in next..<rows.count {
                try one.text(batchID)
                try Self.bind(rows.baseAddress! + index, base: base, to: &one)
                try one.step()
            }
        }
        try BatchCounts.add(db, seq: seq, jobs)
        return .commit
    }

    static let insertManyJobsSQL = insertJobsSQL(rows: rowsPerInsert)
    private static let insertOneJobSQL = insertJobsSQL(rows: 1)

    /// Parameters of each row in `insertJobsSQL` (besides the batch id, bound once).
    static let parametersPerRow = 9

    /// Parameters of `insertJobsSQL(rows:)`: the batch id, then each row's.
    static func parameterCount(rows: Int) -> Int { 1 + rows * parametersPerRow }

    /// `INSERT INTO job` of `rows` rows: parameter 1 is the batch id (the same for every row:
    /// bound once a statement, not once a row), then `parametersPerRow` for each row in
    /// `bind`'s order. `updated_at` keeps its default, 0: a row is not updated yet when it is
    /// queued (the batch's `created_at` says when it was), and 8 bytes less a row is less for
    /// SQLite to write twice (WAL, then database).
    ///
    /// `OR FAIL`: a row that breaks a constraint stops the statement but keeps the rows it
    /// inserted before, which SQLite can do without a statement journal. With the default
    /// (`ABORT`) a multi-row statement inside a transaction first copies every page it will
    /// change into a statement journal (about 40 KiB per 32 rows: in a temporary file, most of
    /// ingest's system time, before the writer kept statement journals in memory; copied all
    /// the same since). Nothing partial is ever kept: the error ends `appendJobs`'
    /// transaction, which rolls the whole chunk back.
    private static func insertJobsSQL(rows: Int) -> String {
        let values = (0..<rows).map { row in
            let first = 2 + row * parametersPerRow
            let own = (first..<first + parametersPerRow).map { "?\($0)" }
            // id, batch_id, then row, line, state, fields, secret, error_code, error_message, note.
            return "(" + ([own[0], "?1"] + own.dropFirst()).joined(separator: ", ") + ")"
        }
        return """
            INSERT OR FAIL INTO job (id, batch_id, row, line, state, fields, secret, error_code, error_message, note)
            VALUES \(values.joined(separator: ", "))
            """
    }

    /// Binds the `parametersPerRow` parameters of `job` (see `insertJobsSQL`) to the next ones of `insert`.
    private static func bind(_ job: UnsafePointer<NewJob>, base: Int64, to insert: inout BulkInsert) throws {
        try insert.integer(base | Int64(job.pointee.row))
        try insert.integer(Int64(job.pointee.row))
        try insert.integer(Int64(job.pointee.line))
        try insert.text(job.pointee.state.rawValue)
        try insert.text(job.pointee.fields)
        try insert.optionalText(job.pointee.secret)
        try insert.optionalText(job.pointee.errorCode)
        try insert.optionalText(job.pointee.errorMessage)
        try insert.optionalText(job.pointee.note)
    }

    /// The stored fields and secret of one row of a batch (used to confirm a suspected duplicate).
    public func storedRow(batchID: String, row: Int) throws -> (fields: String, secret: String?)? {
        try read { db in
            let id = try JobIDs.range(db, batchID: batchID).low | Int64(row)
            guard let found = try Row.fetchOne(db, sql: "SELECT fields, secret FROM job WHERE id = ?", arguments: [id])
            else { return nil }
            return (found["fields"], found["secret"])
        }
    }

    /// Finishes an ingest: the batch becomes `ready` (or `settled` when no row needs sending).
    /// Its counts by state are already kept (`appendJobs` adds each chunk's): no pass over its rows.
    public func finishIngest(
        batchID: String, totalRows: Int, toSend: Int, encoding: String, notes: String, columns: [String]
    )
        throws
    {
        ingestCheckpointer.finish()
        try write { db in
            try db.execute(
                sql: """
                    UPDATE batch SET state = ?, total_rows = ?, unsettled = ?, encoding = ?, notes = ?, ingest_owner = NULL,
                        columns = ?,
                        finished_at = CASE WHEN ? = 0 THEN ? ELSE NULL END
                    WHERE id = ?
                    """,
                arguments: [
                    toSend == 0 ? "settled" : "ready", totalRows, toSend, encoding, notes,
                    JSONText.array(columns.map { Optional($0) }), toSend, now(), batchID,
                ])
        }
    }

    /// Removes a batch whose ingest failed: nothing of it had been sent.
    public func abandonIngest(batchID: String) throws {
        ingestCheckpointer.finish()
        try write { db in
            try db.execute(sql: "DELETE FROM batch WHERE id = ? AND state = 'ingesting'", arguments: [batchID])
        }
    }

    /// Records that batch `batchID`'s source file moved from `oldPath` to `newPath` (`watch`
    /// archived it), so that `retry` finds it there. A batch read from elsewhere is left alone.
    public func relocateSource(batchID: String, from oldPath: String, to newPath: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE batch SET file_path = ? WHERE id = ? AND file_path = ?",
                arguments: [newPath, batchID, oldPath])
        }
    }
}

/// A row as ingest hands it to the queue.
public struct NewJob: Sendable {
    public var row: Int
    public var line: Int
    public var state: JobState
    /// JSON array of the non-secret values (names: the batch's columns).
    public var fields: String
    public var secret: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var note: String?

    public init(
        row: Int, line: Int, state: JobState, fields: String, secret: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil, note: String? = nil
    ) {
        (self.row, self.line, self.state, self.fields, self.secret) = (row, line, state, fields, secret)
        (self.errorCode, self.errorMessage, self.note) = (errorCode, errorMessage, note)
    }
}

import GRDB

extension QueueStore {
    /// Batches finished before `cutoff`: state `settled` with its report written, or `cancelled`;
    /// no row unsettled. Oldest first.
    public func pruneCandidates(finishedBefore cutoff: Timestamp) throws -> [PruneCandidate] {
        try read { db in
            try Row.fetchAll(db, sql: Self.candidateSQL + " ORDER BY finished_at, id", arguments: [cutoff]).map { row in
                let batchID: String = row["id"]
                let ids = try JobIDs.range(db, batchID: batchID)
                let attempts =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM attempt WHERE job_id BETWEEN ? AND ?",
                        arguments: [ids.low, ids.high]) ?? 0
                return PruneCandidate(
                    batchID: batchID, fileName: row["file_name"], filePath: row["file_path"],
                    rows: row["total_rows"], attempts: attempts, finishedAt: row["finished_at"])
            }
        }
    }

    /// Deletes the jobs and attempts (API keys included) of batch `batchID` and marks it `pruned`
    /// (its identity stays, so its content is recognised if it comes again), in one transaction,
    /// if it is still a candidate finished before `cutoff` (a `retry` since the listing keeps it).
    /// Returns whether it was deleted. Freed pages are overwritten (`secure_delete`); call
    /// `checkpointTruncatingWAL` afterwards so the deleted rows leave the WAL too.
    public func deleteFinishedBatch(_ batchID: String, finishedBefore cutoff: Timestamp) throws -> Bool {
        try write { db in
            guard
                try Row.fetchOne(db, sql: Self.candidateSQL + " AND id = ?", arguments: [cutoff, batchID]) != nil
            else { return false }
            let ids = try JobIDs.range(db, batchID: batchID)
            let unsettled =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM job WHERE id BETWEEN ? AND ? AND state IN \(JobState.unsettledSQL)",
                    arguments: [ids.low, ids.high]) ?? 0
            guard unsettled == 0 else { return false }
            try db.execute(
                sql: "DELETE FROM attempt WHERE job_id BETWEEN ? AND ?", arguments: [ids.low, ids.high])
            try db.execute(sql: "DELETE FROM job WHERE id BETWEEN ? AND ?", arguments: [ids.low, ids.high])
            // The batch's identity stays (no secret in it): its content is never imported again.
            try db.execute(
                sql: "UPDATE batch SET state = 'pruned', pruned_at = ? WHERE id = ?", arguments: [now(), batchID])
            return true
        }
    }

    private static let candidateSQL = """
        SELECT id, file_name, file_path, total_rows, finished_at FROM batch
        WHERE unsettled = 0 AND finished_at IS NOT NULL AND finished_at < ?
          AND (state = 'cancelled' OR (state = 'settled' AND reported_at IS NOT NULL))
        """
}

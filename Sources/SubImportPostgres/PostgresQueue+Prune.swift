import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Batches finished before `cutoff`: state `settled` with its report written, or `cancelled`;
    /// no row unsettled. Oldest first.
    public func pruneCandidates(finishedBefore cutoff: Timestamp) throws -> [PruneCandidate] {
        try read { session in
            try session.query(
                """
                SELECT batch.id, batch.file_name, batch.file_path, batch.total_rows, batch.finished_at,
                    (SELECT COUNT(*) FROM attempt
                     WHERE attempt.job_id BETWEEN batch.seq << 32 AND (batch.seq << 32) | 4294967295)
                FROM batch
                WHERE \(candidate: cutoff)
                ORDER BY batch.finished_at, batch.id
                """
            ).map { row in
                let (id, fileName, filePath, rows, finishedAt, attempts) = try row.decode(
                    (String, String, String, Int, Double, Int).self)
                return PruneCandidate(
                    batchID: id, fileName: fileName, filePath: filePath, rows: rows, attempts: attempts,
                    finishedAt: finishedAt)
            }
        }
    }

    /// Deletes the jobs and attempts (API keys included) of batch `batchID` and marks it `pruned`
    /// (its identity stays, so its content is recognised if it comes again), in one transaction,
    /// if it is still a candidate finished before `cutoff` (a `retry` since the listing keeps it:
    /// the batch row is locked first). Returns whether it was deleted. The deleted rows stay in
    /// the server's files until `VACUUM` (see `scrubErasedSecrets`).
    public func deleteFinishedBatch(_ batchID: String, finishedBefore cutoff: Timestamp) throws -> Bool {
        try write { session in
            guard
                let seq = try session.query(
                    "SELECT batch.seq FROM batch WHERE \(candidate: cutoff) AND batch.id = \(batchID) FOR UPDATE"
                ).first?.decode(Int64.self)
            else { return false }
            let ids = PostgresJobIDs(seq: seq)
            let unsettled =
                try session.query(
                    """
                    SELECT COUNT(*) FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)
                      AND state IN ('queued', 'running', 'retrying')
                    """
                ).first?.decode(Int.self) ?? 0
            guard unsettled == 0 else { return false }
            try session.execute("DELETE FROM attempt WHERE job_id BETWEEN \(ids.low) AND \(ids.high)")
            try session.execute("DELETE FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)")
            // The batch's identity stays (no secret in it): its content is never imported again.
            try session.execute("UPDATE batch SET state = 'pruned', pruned_at = \(now()) WHERE id = \(batchID)")
            return true
        }
    }
}

extension PostgresQuery.StringInterpolation {
    /// The condition of a batch `prune` may delete: finished before `cutoff` (bound), every row
    /// settled, and cancelled or settled with its report written.
    mutating func appendInterpolation(candidate cutoff: Timestamp) {
        appendLiteral("batch.unsettled = 0 AND batch.finished_at IS NOT NULL AND batch.finished_at < ")
        appendInterpolation(cutoff)
        appendLiteral(
            " AND (batch.state = 'cancelled' OR (batch.state = 'settled' AND batch.reported_at IS NOT NULL))")
    }
}

import GRDB

extension QueueStore {
    /// Puts the `failed` rows of a batch, and rows left pending by a fatal stop, back in the queue
    /// with a fresh attempt budget. Rows whose password was already erased cannot be sent again and
    /// are left as they are; their count is returned as `skipped`.
    public func retry(batchID: String) throws -> (requeued: Int, skipped: Int) {
        try write { db in
            let time = now()
            let skipped =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM job WHERE batch_id = ? AND state = 'failed' AND secret IS NULL",
                    arguments: [batchID]) ?? 0
            try db.execute(
                sql: """
                    UPDATE job SET state = 'queued', failures = 0, run_at = ?, updated_at = ?
                    WHERE batch_id = ? AND state = 'failed' AND secret IS NOT NULL
                    """, arguments: [time, time, batchID])
            let requeued = db.changesCount
            try db.execute(
                sql: "UPDATE job SET failures = 0, run_at = ? WHERE batch_id = ? AND state IN ('queued', 'retrying')",
                arguments: [time, batchID])
            try db.execute(
                sql: """
                    UPDATE batch SET unsettled = unsettled + ?, finished_at = NULL,
                        state = CASE WHEN state IN ('settled', 'ready') AND unsettled + ? > 0 THEN 'ready' ELSE state END
                    WHERE id = ?
                    """, arguments: [requeued, requeued, batchID])
            return (requeued, skipped)
        }
    }

    /// Cancels a batch: its rows not yet settled and not in flight become `cancelled` and their
    /// secrets are erased. Rows in flight finish normally. Returns how many rows were cancelled.
    public func cancel(batchID: String) throws -> Int {
        try write { db in
            let time = now()
            try db.execute(
                sql: """
                    UPDATE job SET state = 'cancelled', secret = NULL, updated_at = ?
                    WHERE batch_id = ? AND state IN ('queued', 'retrying')
                    """, arguments: [time, batchID])
            let cancelled = db.changesCount
            try db.execute(
                sql: """
                    UPDATE batch SET unsettled = unsettled - ?,
                        state = CASE WHEN unsettled - ? <= 0 THEN 'cancelled' ELSE state END,
                        finished_at = CASE WHEN unsettled - ? <= 0 THEN ? ELSE finished_at END
                    WHERE id = ?
                    """, arguments: [cancelled, cancelled, cancelled, time, batchID])
            return cancelled
        }
    }
}

import GRDB

extension QueueStore {
    /// Rows of a batch that ended in one of `states` (`failed` by default), by row number.
    public func failedRows(batchID: String, states: [JobState]) throws -> Set<Int> {
        try read { db in
            let ids = try JobIDs.range(db, batchID: batchID)
            return Set(
                try Int.fetchAll(
                    db, sql: "SELECT row FROM job WHERE id BETWEEN ? AND ? AND state IN \(JobState.sqlList(states))",
                    arguments: [ids.low, ids.high]))
        }
    }

    /// Puts the `failed` rows of a batch (or those settled in one of `states`: `uncertain` ones
    /// only when an operator asks for them) back in the queue with a fresh attempt budget, giving
    /// back the passwords erased when they settled (`secrets`, by row, read from the source
    /// file); rows left pending by a fatal stop get a fresh budget too. When `secretRequired`,
    /// a failed row without a password cannot be sent and stays failed: their count is returned
    /// as `skipped`.
    public func retry(
        batchID: String, secrets: [Int: String], secretRequired: Bool, states: [JobState]
    ) throws -> (requeued: Int, skipped: Int) {
        let settled = JobState.sqlList(states)
        return try write { db in
            let time = now()
            let ids = try JobIDs.range(db, batchID: batchID)
            let restore = try db.cachedStatement(sql: "UPDATE job SET secret = ? WHERE id = ? AND state IN \(settled)")
            for (row, secret) in secrets { try restore.execute(arguments: [secret, ids.low | Int64(row)]) }
            let sendable = secretRequired ? "AND secret IS NOT NULL" : ""
            let skipped =
                secretRequired
                ? try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM job WHERE id BETWEEN ? AND ? AND state IN \(settled) AND secret IS NULL",
                    arguments: [ids.low, ids.high]) ?? 0 : 0
            try db.execute(
                sql: """
                    UPDATE job SET state = 'queued', failures = 0, run_at = ?, error_code = NULL,
                        error_message = NULL, updated_at = ?
                    WHERE id BETWEEN ? AND ? AND state IN \(settled) \(sendable)
                    """, arguments: [time, time, ids.low, ids.high])
            let requeued = db.changesCount
            try db.execute(
                sql:
                    "UPDATE job SET failures = 0, run_at = ? WHERE id BETWEEN ? AND ? AND state IN ('queued', 'retrying')",
                arguments: [time, ids.low, ids.high])
            try db.execute(
                sql: """
                    UPDATE batch SET unsettled = unsettled + ?,
                        finished_at = CASE WHEN unsettled + ? > 0 THEN NULL ELSE finished_at END,
                        state = CASE WHEN state IN ('settled', 'ready') AND unsettled + ? > 0 THEN 'ready' ELSE state END
                    WHERE id = ?
                    """, arguments: [requeued, requeued, requeued, batchID])
            return (requeued, skipped)
        }
    }

    /// Cancels a batch: its rows not yet settled and not in flight become `cancelled` and their
    /// secrets are erased. Rows in flight finish normally. Returns how many rows were cancelled.
    public func cancel(batchID: String) throws -> Int {
        try write { db in
            let time = now()
            let ids = try JobIDs.range(db, batchID: batchID)
            try db.execute(
                sql: """
                    UPDATE job SET state = 'cancelled', secret = NULL, updated_at = ?
                    WHERE id BETWEEN ? AND ? AND state IN ('queued', 'retrying')
                    """, arguments: [time, ids.low, ids.high])
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

import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Rows of a batch that ended in one of `states`, by row number.
    public func failedRows(batchID: String, states: [JobState]) throws -> Set<Int> {
        try read { session in
            let ids = try PostgresJobIDs.orEmpty(batchID, session)
            return Set(
                try session.query(
                    """
                    SELECT row FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)
                      AND state = ANY(\(states.map(\.rawValue))::text[])
                    """
                ).map { try $0.decode(Int.self) })
        }
    }

    /// Puts the rows of a batch settled in one of `states` back in the queue with a fresh
    /// attempt budget, giving back the passwords erased when they settled (`secrets`, by row);
    /// rows left pending by a fatal stop get a fresh budget too. When `secretRequired`, a row
    /// without a password cannot be sent and stays settled: their count is returned as `skipped`.
    /// One transaction (see `QueueStore.retry`).
    public func retry(batchID: String, secrets: [Int: String], secretRequired: Bool, states: [JobState]) throws
        -> (requeued: Int, skipped: Int)
    {
        let settled = states.map(\.rawValue)
        let time = now()
        return try write { session in
            let ids = try PostgresJobIDs.orEmpty(batchID, session)
            if !secrets.isEmpty {
                let rows = secrets.keys.sorted()
                try session.execute(
                    """
                    UPDATE job SET secret = given.secret
                    FROM unnest(\(rows.map { ids.low | Int64($0) })::bigint[],
                                \(PostgresTextArray(rows.map { secrets[$0] }))::text[]) AS given(id, secret)
                    WHERE job.id = given.id AND job.state = ANY(\(settled)::text[])
                    """)
            }
            let skipped =
                secretRequired
                ? try session.query(
                    """
                    SELECT COUNT(*) FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)
                      AND state = ANY(\(settled)::text[]) AND secret IS NULL
                    """
                ).first?.decode(Int.self) ?? 0 : 0
            let requeued = try session.execute(
                """
                UPDATE job SET state = 'queued', failures = 0, run_at = \(time), error_code = NULL,
                    error_message = NULL, updated_at = \(time)
                WHERE id BETWEEN \(ids.low) AND \(ids.high) AND state = ANY(\(settled)::text[])
                  AND (NOT \(secretRequired) OR secret IS NOT NULL)
                """)
            try session.execute(
                """
                UPDATE job SET failures = 0, run_at = \(time)
                WHERE id BETWEEN \(ids.low) AND \(ids.high) AND state IN ('queued', 'retrying')
                """)
            try session.execute(
                """
                UPDATE batch SET unsettled = unsettled + \(requeued),
                    finished_at = CASE WHEN unsettled + \(requeued) > 0 THEN NULL ELSE finished_at END,
                    state = CASE WHEN state IN ('settled', 'ready') AND unsettled + \(requeued) > 0 THEN 'ready'
                                 ELSE state END
                WHERE id = \(batchID)
                """)
            return (requeued, skipped)
        }
    }

    /// Cancels a batch: its rows not yet settled and not in flight become `cancelled` and their
    /// secrets are erased. Rows in flight finish normally. Returns how many rows were cancelled.
    public func cancel(batchID: String) throws -> Int {
        let time = now()
        return try write { session in
            let ids = try PostgresJobIDs.orEmpty(batchID, session)
            let cancelled = try session.execute(
                """
                UPDATE job SET state = 'cancelled', secret = NULL, updated_at = \(time)
                WHERE id BETWEEN \(ids.low) AND \(ids.high) AND state IN ('queued', 'retrying')
                """)
            try session.execute(
                """
                UPDATE batch SET unsettled = unsettled - \(cancelled),
                    state = CASE WHEN unsettled - \(cancelled) <= 0 THEN 'cancelled' ELSE state END,
                    finished_at = CASE WHEN unsettled - \(cancelled) <= 0 THEN \(time) ELSE finished_at END
                WHERE id = \(batchID)
                """)
            return cancelled
        }
    }

    /// Batches of `account` that are settled but whose complete report has not been written
    /// since they settled (a batch settled again after `retry` is due again), oldest first.
    public func batchesAwaitingReport(account: String) throws -> [String] {
        try read { session in
            try session.query(
                """
                SELECT id FROM batch
                WHERE account = \(account) AND state = 'settled'
                  AND (reported_at IS NULL OR reported_at < COALESCE(finished_at, 0))
                ORDER BY finished_at, id
                """
            ).map { try $0.decode(String.self) }
        }
    }

    /// Records, in one transaction, that the complete report of each batch as it was settled at
    /// its time was written (a later settlement, after `retry`, makes it due again). Batches are
    /// updated in id order, the order settlements lock them in.
    public func markReported(_ batches: [(batchID: String, settledAt: Timestamp)]) throws {
        guard !batches.isEmpty else { return }
        try write { session in
            for (batchID, time) in batches.sorted(by: { $0.batchID < $1.batchID }) {
                try session.execute(
                    "UPDATE batch SET reported_at = \(time) WHERE id = \(batchID) AND state = 'settled'")
            }
        }
    }
}

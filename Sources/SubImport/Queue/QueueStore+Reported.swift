import GRDB

extension QueueStore {
    /// Batches of `account` that are settled but whose complete report has not been written
    /// since they settled (a batch settled again after `retry` is due again), oldest first.
    public func batchesAwaitingReport(account: String) throws -> [String] {
        try read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM batch
                    WHERE account = ? AND state = 'settled'
                      AND (reported_at IS NULL OR reported_at < COALESCE(finished_at, 0))
                    ORDER BY finished_at, id
                    """, arguments: [account])
        }
    }

    /// Records, in one transaction, that the complete report of each batch as it was settled at
    /// its time was written (a later settlement, after `retry`, makes it due again).
    public func markReported(_ batches: [(batchID: String, settledAt: Timestamp)]) throws {
        try write { db in
            for (batchID, time) in batches {
                try db.execute(
                    sql: "UPDATE batch SET reported_at = ? WHERE id = ? AND state = 'settled'",
                    arguments: [time, batchID])
            }
        }
    }
}

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

    /// Records that the complete report of a batch as it was settled at `settledAt` was written
    /// (a later settlement, after `retry`, makes it due again).
    func markReported(batchID: String, settledAt time: Timestamp) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE batch SET reported_at = ? WHERE id = ? AND state = 'settled'", arguments: [time, batchID])
        }
    }
}

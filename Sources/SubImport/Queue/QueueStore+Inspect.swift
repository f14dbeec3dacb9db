import GRDB

/// Request statistics of a batch, from its attempts.
public struct BatchTraffic: Sendable {
    public var requests: Int
    public var firstRequestAt: Timestamp?
    public var lastAnswerAt: Timestamp?

    public init(requests: Int, firstRequestAt: Timestamp?, lastAnswerAt: Timestamp?) {
        (self.requests, self.firstRequestAt, self.lastAnswerAt) = (requests, firstRequestAt, lastAnswerAt)
    }

    /// Requests per second over the span of the batch's attempts.
    public var achievedRate: Double {
        guard let first = firstRequestAt, let last = lastAnswerAt, last > first, requests > 0 else { return 0 }
        return Double(requests) / (last - first)
    }
}

extension QueueStore {
    /// Row counts of a batch by report status (`pending` for every unsettled state), from the
    /// kept counts: constant time whatever the batch's size (`BatchCounts`).
    public func statusCounts(batchID: String) throws -> [String: Int] {
        try read { db in JobState.reportCounts(try BatchCounts.byState(db, batchID: batchID)) }
    }

    /// Jobs still unsettled in a batch, by state (queued, running, retrying), and the next retry
    /// time. The counts are kept ones; the next retry time is looked up only when rows are retrying.
    public func pendingDetail(batchID: String) throws -> (byState: [String: Int], nextRetryAt: Timestamp?) {
        try read { db in
            let byState = JobState.unsettledCounts(try BatchCounts.byState(db, batchID: batchID))
            guard (byState[JobState.retrying.rawValue] ?? 0) > 0 else { return (byState, nil) }
            let ids = try JobIDs.range(db, batchID: batchID)
            // Read through `job_retrying`: the rows waiting for a retry, not the batch's rows.
            let next = try Double.fetchOne(
                db,
                sql:
                    "SELECT MIN(run_at) FROM job INDEXED BY job_retrying WHERE state = 'retrying' AND id BETWEEN ? AND ?",
                arguments: [ids.low, ids.high])
            return (byState, next)
        }
    }

    /// Every job of a batch in row order, streamed to `body` (constant memory for large batches).
    public func forEachJob(batchID: String, _ body: (JobRecord) throws -> Void) throws {
        try read { db in
            let columns = JSONText.stringArray(
                try String.fetchOne(db, sql: "SELECT columns FROM batch WHERE id = ?", arguments: [batchID]) ?? "[]")
            let ids = try JobIDs.range(db, batchID: batchID)
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT \(JobRecord.selection) FROM job WHERE id BETWEEN ? AND ? ORDER BY id",
                arguments: [ids.low, ids.high])
            while let row = try cursor.next() { try body(JobRecord(row: row, columns: columns)) }
        }
    }

    /// How many requests the batch made and over what span.
    public func traffic(batchID: String) throws -> BatchTraffic {
        try read { db in
            let ids = try JobIDs.range(db, batchID: batchID)
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS n, MIN(attempt.started_at) AS first, MAX(attempt.finished_at) AS last
                    FROM attempt JOIN job ON job.id = attempt.job_id
                    WHERE job.id BETWEEN ? AND ?
                    """, arguments: [ids.low, ids.high])
            return BatchTraffic(requests: row?["n"] ?? 0, firstRequestAt: row?["first"], lastAnswerAt: row?["last"])
        }
    }

    /// Attempts recorded for one row of a batch, oldest first (for tests and diagnostics).
    public func attempts(batchID: String, row: Int) throws -> [(failureClass: String, httpStatus: Int?)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT attempt.failure_class, attempt.http_status FROM attempt JOIN job ON job.id = attempt.job_id
                    WHERE job.id = ? ORDER BY attempt.id
                    """, arguments: [try JobIDs.range(db, batchID: batchID).low | Int64(row)]
            ).map { ($0["failure_class"], $0["http_status"]) }
        }
    }

    /// Unsettled rows of `account` by state, counted in the batches that have some, and the
    /// creation time of the oldest of those batches.
    public func pendingRows(account: String) throws -> (byState: [String: Int], oldestCreatedAt: Timestamp?) {
        try read { db in
            let active = try Row.fetchAll(
                db, sql: "SELECT seq, created_at FROM batch WHERE account = ? AND unsettled > 0", arguments: [account])
            var byState: [String: Int] = [:]
            for batch in active {
                let seq: Int64 = batch["seq"]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT state, COUNT(*) AS n FROM job WHERE id BETWEEN ? AND ?
                          AND state IN \(JobState.unsettledSQL) GROUP BY state
                        """, arguments: [seq << 32, (seq << 32) | 0xFFFF_FFFF])
                {
                    byState[row["state"], default: 0] += row["n"] as Int
                }
            }
            return (byState, active.map { $0["created_at"] as Double }.min())
        }
    }

    /// Jobs of the queue held right now by `owner` (claimed, their answer not yet recorded).
    public func runningJobs(owner: WorkerIdentity) throws -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM job WHERE state = 'running' AND lease_owner = ?",
                arguments: [owner.description]) ?? 0
        }
    }
}

import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Jobs of a batch read per query by `forEachJob`: memory stays bounded by one page.
    static let jobsPerPage = 5_000

    /// Row counts of a batch by report status (`pending` for every unsettled state), from the
    /// kept counts (`PostgresBatchCounts`): independent of the batch's size.
    public func statusCounts(batchID: String) throws -> [String: Int] {
        try read { session in JobState.reportCounts(try PostgresBatchCounts.byState(session, batchID: batchID)) }
    }

    /// Jobs still unsettled in a batch, by state (queued, running, retrying), and the next retry
    /// time (looked up only when rows are retrying).
    public func pendingDetail(batchID: String) throws -> (byState: [String: Int], nextRetryAt: Timestamp?) {
        try read { session in
            let byState = JobState.unsettledCounts(try PostgresBatchCounts.byState(session, batchID: batchID))
            guard (byState[JobState.retrying.rawValue] ?? 0) > 0, let ids = try PostgresJobIDs.of(batchID, session)
            else { return (byState, nil) }
            // Through `job_retrying`: the rows waiting for a retry, not the batch's rows.
            let next = try session.query(
                "SELECT MIN(run_at) FROM job WHERE state = 'retrying' AND id BETWEEN \(ids.low) AND \(ids.high)"
            ).first?.decode(Double?.self)
            return (byState, next)
        }
    }

    /// Every job of a batch in row order, streamed to `body` in pages of `jobsPerPage` rows
    /// (keyset on the id: constant memory and time per page for any batch size), all read from
    /// one snapshot of the queue.
    public func forEachJob(batchID: String, _ body: (JobRecord) throws -> Void) throws {
        try readSnapshot { session in
            guard let batch = try session.query("SELECT seq, columns FROM batch WHERE id = \(batchID)").first else {
                return
            }
            let (seq, columnsText) = try batch.decode((Int64, String).self)
            let ids = PostgresJobIDs(seq: seq)
            let columns = JSONText.stringArray(columnsText)
            var last = ids.low - 1
            while true {
                let page = try session.query(
                    """
                    SELECT \(unescaped: JobRecord.postgresColumns) FROM job WHERE id > \(last) AND id <= \(ids.high)
                    ORDER BY id LIMIT \(Self.jobsPerPage)
                    """)
                for row in page {
                    let job = try JobRecord(postgres: row, columns: columns)
                    last = ids.low | Int64(job.row)
                    try body(job)
                }
                if page.count < Self.jobsPerPage { return }
            }
        }
    }

    /// How many requests the batch made and over what span.
    public func traffic(batchID: String) throws -> BatchTraffic {
        try read { session in
            let ids = try PostgresJobIDs.orEmpty(batchID, session)
            guard
                let row = try session.query(
                    """
                    SELECT COUNT(*), MIN(started_at), MAX(finished_at) FROM attempt
                    WHERE job_id BETWEEN \(ids.low) AND \(ids.high)
                    """
                ).first
            else { return BatchTraffic(requests: 0, firstRequestAt: nil, lastAnswerAt: nil) }
            let (requests, first, last) = try row.decode((Int, Double?, Double?).self)
            return BatchTraffic(requests: requests, firstRequestAt: first, lastAnswerAt: last)
        }
    }

    /// Attempts recorded for one row of a batch, oldest first (for tests and diagnostics).
    public func attempts(batchID: String, row: Int) throws -> [(failureClass: String, httpStatus: Int?)] {
        try read { session in
            guard let ids = try PostgresJobIDs.of(batchID, session) else { return [] }
            return try session.query(
                "SELECT failure_class, http_status FROM attempt WHERE job_id = \(ids.low | Int64(row)) ORDER BY id"
            ).map { try $0.decode((String, Int?).self) }
        }
    }

    /// The pace of `batchID` over the last `window` seconds before `now`: its rows settled by an
    /// answer, counted from the queue's most recent `BatchPace.attemptLimit` attempts (never
    /// the batch's rows). When more than that many were made within the window, the rate is
    /// taken over the span of these (a shorter window).
    public func pace(batchID: String, window: Double, now: Timestamp) throws -> BatchPace {
        try read { session in
            let ids = try PostgresJobIDs.orEmpty(batchID, session)
            let batch = try session.query("SELECT started_at, unsettled FROM batch WHERE id = \(batchID)").first
            let (startedAt, unsettled) = try batch?.decode((Double?, Int).self) ?? (nil, 0)
            let lastID = try session.query("SELECT MAX(id) FROM attempt").first?.decode(Int64?.self) ?? 0
            let firstID = lastID - BatchPace.attemptLimit
            let newestUnread = try session.query(
                "SELECT finished_at FROM attempt WHERE id <= \(firstID) ORDER BY id DESC LIMIT 1"
            ).first?.decode(Double.self)
            let seconds = BatchPace.seconds(
                window: window, startedAt: startedAt, newestUnreadAt: newestUnread, now: now)
            let settled =
                try session.query(
                    """
                    SELECT COUNT(*) FROM attempt
                    WHERE id > \(firstID) AND job_id BETWEEN \(ids.low) AND \(ids.high) AND finished_at >= \(now - seconds)
                      AND outcome IN ('created', 'updated', 'failed', 'uncertain')
                    """
                ).first?.decode(Int.self) ?? 0
            return BatchPace(rowsSettled: settled, seconds: seconds, unsettled: unsettled)
        }
    }

    /// Unsettled rows of `account` by state, counted in the batches that have some, and the
    /// creation time of the oldest of those batches.
    public func pendingRows(account: String) throws -> (byState: [String: Int], oldestCreatedAt: Timestamp?) {
        try read { session in
            let active = try session.query(
                "SELECT seq, created_at FROM batch WHERE account = \(account) AND unsettled > 0"
            ).map { try $0.decode((Int64, Double).self) }
            var byState: [String: Int] = [:]
            for (seq, _) in active {
                let ids = PostgresJobIDs(seq: seq)
                for row in try session.query(
                    """
                    SELECT state, COUNT(*) FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)
                      AND state IN ('queued', 'running', 'retrying') GROUP BY state
                    """)
                {
                    let (state, n) = try row.decode((String, Int).self)
                    byState[state, default: 0] += n
                }
            }
            return (byState, active.map(\.1).min())
        }
    }
}

import GRDB

/// How fast a batch's rows are settling right now.
public struct BatchPace: Sendable, Equatable {
    /// Rows settled by an answer (not at ingest, not cancelled) during the window.
    public var rowsSettled: Int
    /// Seconds the rate is taken over: the window, or less when the batch started within it.
    public var seconds: Double
    /// Rows still to settle.
    public var unsettled: Int

    public init(rowsSettled: Int, seconds: Double, unsettled: Int) {
        (self.rowsSettled, self.seconds, self.unsettled) = (rowsSettled, seconds, unsettled)
    }

    /// Rows settled per second over the window.
    public var rate: Double { seconds > 0 ? Double(rowsSettled) / seconds : 0 }

    /// Seconds until every row is settled at this rate; nil when nothing settled in the window.
    public var eta: Double? { rate > 0 ? Double(unsettled) / rate : nil }

    /// Attempts, most recent first, that a store's `pace` reads at most: it costs the same
    /// whatever the size of the batch. When more than this many were made within the window, the
    /// rate is taken over the span of these (a shorter window).
    public static let attemptLimit: Int64 = 10_000

    /// The seconds a pace is taken over: `window`, or less when the batch started (`startedAt`)
    /// within it; or the span of the attempts read, when the newest attempt left unread (finished
    /// at `newestUnreadAt`) is within that.
    public static func seconds(window: Double, startedAt: Timestamp?, newestUnreadAt: Timestamp?, now: Timestamp)
        -> Double
    {
        let seconds = min(window, max(0, now - (startedAt ?? now)))
        guard let unread = newestUnreadAt, unread >= now - seconds else { return seconds }
        return min(seconds, max(0, now - unread))
    }
}

extension QueueStore {
    /// The pace of `batchID` over the last `window` seconds before `now`: its rows settled by an
    /// answer, counted from the queue's most recent attempts (never the batch's rows).
    public func pace(batchID: String, window: Double, now: Timestamp) throws -> BatchPace {
        try read { db in
            let ids = try JobIDs.range(db, batchID: batchID)
            let batch = try Row.fetchOne(
                db, sql: "SELECT started_at, unsettled FROM batch WHERE id = ?", arguments: [batchID])
            let startedAt: Double? = batch?["started_at"]
            let lastID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM attempt") ?? 0
            let firstID = lastID - BatchPace.attemptLimit
            let newestUnread = try Double.fetchOne(
                db, sql: "SELECT finished_at FROM attempt WHERE id <= ? ORDER BY id DESC LIMIT 1", arguments: [firstID])
            let seconds = BatchPace.seconds(
                window: window, startedAt: startedAt, newestUnreadAt: newestUnread, now: now)
            let settled =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM attempt WHERE id > ? AND job_id BETWEEN ? AND ? AND finished_at >= ?
                          AND outcome IN \(JobState.sqlList([.created, .updated, .failed, .uncertain]))
                        """, arguments: [firstID, ids.low, ids.high, now - seconds]) ?? 0
            return BatchPace(rowsSettled: settled, seconds: seconds, unsettled: batch?["unsettled"] ?? 0)
        }
    }
}

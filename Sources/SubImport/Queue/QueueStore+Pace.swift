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
}

extension QueueStore {
    /// The pace of `batchID` over the last `window` seconds before `now`.
    public func pace(batchID: String, window: Double, now: Timestamp) throws -> BatchPace {
        try read { db in
            let ids = try JobIDs.range(db, batchID: batchID)
            let settled =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM job WHERE id BETWEEN ? AND ? AND updated_at >= ?
                          AND state IN \(JobState.sqlList([.created, .updated, .failed, .uncertain]))
                        """, arguments: [ids.low, ids.high, now - window]) ?? 0
            let row = try Row.fetchOne(
                db, sql: "SELECT started_at, unsettled FROM batch WHERE id = ?", arguments: [batchID])
            let startedAt: Double? = row?["started_at"]
            let seconds = min(window, max(0, now - (startedAt ?? now)))
            return BatchPace(rowsSettled: settled, seconds: seconds, unsettled: row?["unsettled"] ?? 0)
        }
    }
}

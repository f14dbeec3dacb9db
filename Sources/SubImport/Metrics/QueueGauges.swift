import CoreMetrics
import GRDB

/// The queue's state as gauges, read from the database when asked (before each scrape):
/// `subimport_rows{state="queued|running|retrying"}` (rows of the account not yet settled) and
/// `subimport_oldest_pending_age_seconds` (age of the oldest batch of the account that still has
/// unsettled rows; 0 when none).
public struct QueueGauges: Sendable {
    public let store: QueueStore
    public let account: String

    public init(store: QueueStore, account: String) {
        self.store = store
        self.account = account
    }

    /// Reads the queue and records the gauges.
    public func update(now: Timestamp = now()) throws {
        let (byState, oldest) = try store.read { db in
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
        for state in [JobState.queued, .running, .retrying] {
            Gauge(label: "subimport_rows", dimensions: [("state", state.rawValue)]).record(byState[state.rawValue] ?? 0)
        }
        Gauge(label: "subimport_oldest_pending_age_seconds").record(oldest.map { max(0, now - $0) } ?? 0)
    }
}

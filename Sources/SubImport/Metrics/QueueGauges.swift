import CoreMetrics

/// The queue's state as gauges, read from the database when asked (before each scrape):
/// `subimport_rows{state="queued|running|retrying"}` (rows of the account not yet settled) and
/// `subimport_oldest_pending_age_seconds` (age of the oldest batch of the account that still has
/// unsettled rows; 0 when none).
public struct QueueGauges: Sendable {
    public let store: any JobQueue
    public let account: String

    public init(store: any JobQueue, account: String) {
        self.store = store
        self.account = account
    }

    /// Reads the queue and records the gauges.
    public func update(now: Timestamp = now()) throws {
        let (byState, oldest) = try store.pendingRows(account: account)
        for state in [JobState.queued, .running, .retrying] {
            Gauge(label: "subimport_rows", dimensions: [("state", state.rawValue)]).record(byState[state.rawValue] ?? 0)
        }
        Gauge(label: "subimport_oldest_pending_age_seconds").record(oldest.map { max(0, now - $0) } ?? 0)
    }
}

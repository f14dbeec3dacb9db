/// The life of a job (one data row of an input file).
///
/// `queued` → `running` (claimed with a lease) → a settled state, or back to `retrying`
/// with a `run_at` in the future. `invalid` and `duplicate` are settled at ingest and never sent.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, retrying
    case created, updated, failed, invalid, duplicate, uncertain, cancelled

    /// A settled job never changes again (except through `retry`).
    public var isSettled: Bool {
        switch self {
        case .queued, .running, .retrying: return false
        default: return true
        }
    }

    /// The report's `status` value: unsettled states all read `pending`.
    public var reportStatus: String { isSettled ? rawValue : "pending" }

    /// The report statuses, in the order summaries list them.
    public static let reportStatuses = [
        "created", "updated", "failed", "invalid", "duplicate", "uncertain", "cancelled", "pending",
    ]

    /// SQL list of the unsettled states, for queries.
    static let unsettledSQL = "('queued','running','retrying')"

    /// `states` as an SQL list for `IN`, like `('failed','uncertain')` (raw values need no escaping).
    static func sqlList(_ states: [JobState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ",") + ")"
    }
}

extension JobState {
    /// A batch's row counts by state (as a store keeps them) folded into counts by report status:
    /// every unsettled state counts as `pending`.
    public static func reportCounts(_ byState: [JobState: Int]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (state, n) in byState { counts[state.reportStatus, default: 0] += n }
        return counts
    }

    /// The unsettled states' counts (queued, running, retrying), by state name.
    public static func unsettledCounts(_ byState: [JobState: Int]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (state, n) in byState where !state.isSettled { counts[state.rawValue] = n }
        return counts
    }
}

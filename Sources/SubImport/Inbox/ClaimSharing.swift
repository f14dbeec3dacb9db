/// Where `watch` keeps the files it has claimed from the inbox, and who may finish them.
public enum ClaimSharing: Sendable, Equatable {
    /// In `<state>/processing`: a file claimed by a run that stopped is finished by the next run
    /// on the same state folder, by nobody else. For one watch per inbox with a queue of its own
    /// (SQLite): another state folder's queue finishing the file would queue its rows twice.
    case stateFolder
    /// In `<inbox>/.processing`, beside the inbox (same file system by construction): every
    /// watch sharing the inbox and ONE queue sees every claim, and adopts the claim of a holder
    /// that is gone, a process of this host that no longer runs at once, any other once its
    /// heartbeat is older than `staleAfter` seconds.
    case inbox(staleAfter: Double)

    /// The default age of a silent claim before another host's watch adopts it (seconds).
    public static let defaultStaleAfter: Double = 180

    /// Seconds between two heartbeats of the claims this watch holds (and between two looks for
    /// claims to adopt): a quarter of `staleAfter`, at most 5 s.
    var heartbeatInterval: Double {
        switch self {
        case .stateFolder: return 5
        case .inbox(let staleAfter): return min(5, max(0.05, staleAfter / 4))
        }
    }
}

/// How `InboxService` watches its folder and stops.
public struct InboxConfiguration: Sendable {
    /// The folder files are dropped into.
    public var inbox: String
    /// Look at the folder every `scanInterval` instead of using inotify (`--poll`).
    public var polling: Bool
    /// Seconds a file must stay unchanged before it is taken without a close or rename event
    /// (`--settle`): every file in `--poll` mode, files already there at start in inotify mode.
    public var settleSeconds: Double
    /// Seconds in-flight requests get to finish after a stop is asked (`--shutdown-timeout`).
    public var shutdownTimeout: Double
    /// Seconds sending pauses after a fatal provider answer before it is tried again (`--fatal-cooldown`).
    public var fatalCooldown: Double
    /// How often files waiting to settle are looked at, and settled batches are reported (seconds).
    public var scanInterval: Double
    /// Seconds before a report that could not be written is tried again.
    public var reportRetryInterval: Double
    /// Where claimed files wait, and who may finish them (shared with other watches of the same
    /// queue, or this state folder's own).
    public var claims: ClaimSharing

    public init(
        inbox: String, polling: Bool = false, settleSeconds: Double = 2, shutdownTimeout: Double = 10,
        fatalCooldown: Double = 300, scanInterval: Double = 0.25, reportRetryInterval: Double = 30,
        claims: ClaimSharing = .stateFolder
    ) {
        self.inbox = inbox
        self.polling = polling
        self.settleSeconds = max(0, settleSeconds)
        self.shutdownTimeout = max(0, shutdownTimeout)
        self.fatalCooldown = max(0, fatalCooldown)
        self.scanInterval = min(max(0.05, scanInterval), max(0.05, self.settleSeconds / 4))
        self.reportRetryInterval = max(0, reportRetryInterval)
        if case .inbox(let staleAfter) = claims {
            self.claims = .inbox(staleAfter: max(0.2, staleAfter))
        } else {
            self.claims = claims
        }
    }
}

/// How an `InboxService` run ended.
public struct InboxShutdown: Sendable {
    /// Requests still unanswered when the shutdown timeout ran out (their rows are rescued as
    /// possible duplicates by the next run); 0 after a clean stop.
    public var requestsLeftInFlight: Int
    /// A file was still being queued when the shutdown timeout ran out (it stays in
    /// `processing` and is queued again by the next run).
    public var fileInProgress: Bool

    /// Everything finished in time: the last file was queued, every answer recorded.
    public var clean: Bool { requestsLeftInFlight == 0 && !fileInProgress }
}

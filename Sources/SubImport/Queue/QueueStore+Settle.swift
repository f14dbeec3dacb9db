import GRDB

/// One answer to apply with `QueueStore.settle(_:)`: the settlement of a job held by `leaseOwner`
/// and the record of its attempt.
public struct SettlementEntry: Sendable {
    public var jobID: Int64
    public var leaseOwner: String
    public var settlement: Settlement
    public var attempt: AttemptRecord?
    /// The job's `attempts` when it was claimed for this answer (nil: any claim of `leaseOwner`).
    public var claimedAttempts: Int?

    public init(
        jobID: Int64, leaseOwner: String, _ settlement: Settlement, attempt: AttemptRecord?, claimedAttempts: Int? = nil
    ) {
        (self.jobID, self.leaseOwner, self.settlement, self.attempt, self.claimedAttempts) =
            (jobID, leaseOwner, settlement, attempt, claimedAttempts)
    }
}

extension QueueStore {
    /// Applies every entry as `settle(jobID:…)` does, all in ONE transaction (group commit):
    /// either all are recorded or none is. Returns, for each entry in order, whether its job was
    /// still held by that claim (false: that entry changed nothing).
    public func settle(_ entries: [SettlementEntry]) throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        let time = now()
        let applied = try write { db in try entries.map { try apply($0, db: db, time: time) } }
        if zip(entries, applied).contains(where: { $0.settlement.isFinal && $1 }) { secretWasErased() }
        return applied
    }

    private func apply(_ entry: SettlementEntry, db: Database, time: Timestamp) throws -> Bool {
        let jobID = entry.jobID
        guard
            let job = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT batch_id, attempts, state, lease_owner FROM job WHERE id = ?"),
                arguments: [jobID]),
            // By position (batch_id, attempts, state, lease_owner): no search of the names.
            job[2] == "running", job[3] == entry.leaseOwner,
            entry.claimedAttempts == nil || job[1] == entry.claimedAttempts
        else { return false }
        let batchID: String = job[0]
        let outcome: String
        switch entry.settlement {
        case .settle(let state, let code, let message, let note, let apiLogin, let apiKey):
            outcome = state.rawValue
            try db.cachedStatement(
                sql: """
                    UPDATE job SET state = ?, secret = NULL, error_code = ?, error_message = ?,
                        note = COALESCE(?, note), api_login = ?, api_key = ?, lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE id = ?
                    """
            ).execute(arguments: [state.rawValue, code, message, note, apiLogin, apiKey, time, jobID])
            try db.cachedStatement(
                sql: """
                    UPDATE batch SET unsettled = unsettled - 1,
                        state = CASE WHEN unsettled - 1 <= 0 AND state = 'ready' THEN 'settled' ELSE state END,
                        finished_at = CASE WHEN unsettled - 1 <= 0 THEN ? ELSE finished_at END
                    WHERE id = ?
                    """
            ).execute(arguments: [time, batchID])
        case .retry(let at, let code, let message, let note, let countsAsFailure, let ambiguous):
            outcome = "retrying"
            try db.cachedStatement(
                sql: """
                    UPDATE job SET state = 'retrying', run_at = ?, error_code = ?, error_message = ?,
                        note = COALESCE(?, note), failures = failures + ?, ambiguous = MAX(ambiguous, ?),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ?
                    """
            ).execute(arguments: [at, code, message, note, countsAsFailure ? 1 : 0, ambiguous ? 1 : 0, time, jobID])
        case .release:
            outcome = "released"
            // The claim counted an attempt; a release without a request takes it back.
            try db.cachedStatement(
                sql: """
                    UPDATE job SET state = 'queued', attempts = attempts - ?, lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE id = ?
                    """
            ).execute(arguments: [entry.attempt == nil ? 1 : 0, time, jobID])
        }
        if let attempt = entry.attempt {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempt (job_id, number, started_at, finished_at, outcome, failure_class,
                                         http_status, error_code, message, worker)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                jobID, job[1] as Int, attempt.startedAt, attempt.finishedAt, outcome,
                attempt.failureClass.rawValue, attempt.httpStatus, attempt.errorCode, attempt.message,
                attempt.worker,
            ])
        }
        return true
    }
}

extension Settlement {
    /// Whether the job reaches a settled state (its secret is erased).
    var isFinal: Bool {
        if case .settle = self { return true }
        return false
    }
}

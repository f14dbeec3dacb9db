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
        let applied = try write { db in
            // Rows settled for good, by batch (`seq`): each batch's count is lowered once.
            var settledRows: [Int64: Int] = [:]
            let applied = try entries.map { try apply($0, db: db, time: time, settledRows: &settledRows) }
            for (seq, count) in settledRows {
                try db.cachedStatement(
                    sql: """
                        UPDATE batch SET unsettled = unsettled - ?1,
                            state = CASE WHEN unsettled - ?1 <= 0 AND state = 'ready' THEN 'settled' ELSE state END,
                            finished_at = CASE WHEN unsettled - ?1 <= 0 THEN ?2 ELSE finished_at END
                        WHERE seq = ?3
                        """
                ).execute(arguments: [count, time, seq])
            }
            return applied
        }
        if zip(entries, applied).contains(where: { $0.settlement.isFinal && $1 }) { secretWasErased() }
        return applied
    }

    /// Applies `entry` if its job is still `running` under its claim (one statement, which
    /// returns the job's attempt number only then); a row settled for good is counted in
    /// `settledRows` under its batch's `seq`. Returns whether the job was held.
    private func apply(
        _ entry: SettlementEntry, db: Database, time: Timestamp, settledRows: inout [Int64: Int]
    ) throws -> Bool {
        let jobID = entry.jobID
        // The claim that holds the job: `?1` its id, `?2` the lease owner, `?3` the attempts
        // counted when it was claimed (NULL: any claim of that owner).
        let held = "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND (?3 IS NULL OR attempts = ?3)"
        let claim: [(any DatabaseValueConvertible)?] = [jobID, entry.leaseOwner, entry.claimedAttempts]
        let outcome: String
        let attemptNumber: Int?
        switch entry.settlement {
        case .settle(let state, let code, let message, let note, let apiLogin, let apiKey):
            outcome = state.rawValue
            attemptNumber = try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE job SET state = ?4, secret = NULL, error_code = ?5, error_message = ?6,
                            note = COALESCE(?7, note), api_login = ?8, api_key = ?9, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ?10
                        \(held) RETURNING attempts
                        """),
                arguments: StatementArguments(claim + [state.rawValue, code, message, note, apiLogin, apiKey, time]))
            if attemptNumber != nil { settledRows[jobID >> 32, default: 0] += 1 }
        case .retry(let at, let code, let message, let note, let countsAsFailure, let ambiguous):
            outcome = "retrying"
            attemptNumber = try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE job SET state = 'retrying', run_at = ?4, error_code = ?5, error_message = ?6,
                            note = COALESCE(?7, note), failures = failures + ?8, ambiguous = MAX(ambiguous, ?9),
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = ?10
                        \(held) RETURNING attempts
                        """),
                arguments: StatementArguments(
                    claim + [at, code, message, note, countsAsFailure ? 1 : 0, ambiguous ? 1 : 0, time]))
        case .release:
            outcome = "released"
            // The claim counted an attempt; a release without a request takes it back (the
            // attempt number returned is the one the claim counted).
            attemptNumber = try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE job SET state = 'queued', attempts = attempts - ?4, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ?5
                        \(held) RETURNING attempts + ?4
                        """),
                arguments: StatementArguments(claim + [entry.attempt == nil ? 1 : 0, time]))
        }
        guard let attemptNumber else { return false }
        if let attempt = entry.attempt {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempt (job_id, number, started_at, finished_at, outcome, failure_class,
                                         http_status, error_code, message, worker)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                jobID, attemptNumber, attempt.startedAt, attempt.finishedAt, outcome,
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

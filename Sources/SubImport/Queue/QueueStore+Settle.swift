import GRDB

extension QueueStore {
    /// Applies `settlement` to a job held by `leaseOwner` and records `attempt`, in one transaction.
    /// Keeps the batch's unsettled count in step and marks the batch settled when it reaches zero.
    /// Returns false (and changes nothing) when the job is no longer held by `leaseOwner`, or,
    /// when `claimedAttempts` is given, when the job's current claim is not the one that made
    /// that attempt (a journaled answer of an earlier claim is never applied to a later one).
    @discardableResult
    public func settle(
        jobID: Int64, leaseOwner: String, _ settlement: Settlement, attempt: AttemptRecord?,
        claimedAttempts: Int? = nil
    ) throws -> Bool {
        let time = now()
        let applied = try write { db in
            guard
                let job = try Row.fetchOne(
                    db, sql: "SELECT batch_id, attempts, state, lease_owner FROM job WHERE id = ?", arguments: [jobID]),
                job["state"] == "running", job["lease_owner"] == leaseOwner,
                claimedAttempts == nil || job["attempts"] == claimedAttempts
            else { return false }
            let batchID: String = job["batch_id"]
            let outcome: String
            switch settlement {
            case .settle(let state, let code, let message, let note, let apiLogin, let apiKey):
                outcome = state.rawValue
                try db.execute(
                    sql: """
                        UPDATE job SET state = ?, secret = NULL, error_code = ?, error_message = ?,
                            note = COALESCE(?, note), api_login = ?, api_key = ?, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [state.rawValue, code, message, note, apiLogin, apiKey, time, jobID])
                try db.execute(
                    sql: """
                        UPDATE batch SET unsettled = unsettled - 1,
                            state = CASE WHEN unsettled - 1 <= 0 AND state = 'ready' THEN 'settled' ELSE state END,
                            finished_at = CASE WHEN unsettled - 1 <= 0 THEN ? ELSE finished_at END
                        WHERE id = ?
                        """,
                    arguments: [time, batchID])
            case .retry(let at, let code, let message, let note, let countsAsFailure, let ambiguous):
                outcome = "retrying"
                try db.execute(
                    sql: """
                        UPDATE job SET state = 'retrying', run_at = ?, error_code = ?, error_message = ?,
                            note = COALESCE(?, note), failures = failures + ?, ambiguous = MAX(ambiguous, ?),
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [at, code, message, note, countsAsFailure ? 1 : 0, ambiguous ? 1 : 0, time, jobID])
            case .release:
                outcome = "released"
                // The claim counted an attempt; a release without a request takes it back.
                try db.execute(
                    sql: """
                        UPDATE job SET state = 'queued', attempts = attempts - ?, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [attempt == nil ? 1 : 0, time, jobID])
            }
            if let attempt {
                try db.execute(
                    sql: """
                        INSERT INTO attempt (job_id, number, started_at, finished_at, outcome, failure_class,
                                             http_status, error_code, message, worker)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        jobID, job["attempts"] as Int, attempt.startedAt, attempt.finishedAt, outcome,
                        attempt.failureClass.rawValue, attempt.httpStatus, attempt.errorCode, attempt.message,
                        attempt.worker,
                    ])
            }
            return true
        }
        if applied, case .settle = settlement { secretWasErased() }
        return applied
    }
}

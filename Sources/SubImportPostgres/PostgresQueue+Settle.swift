import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Applies every entry, all in ONE transaction (group commit): either all are recorded or
    /// none is. Returns, for each entry in order, whether its job was still held by that claim
    /// (false: that entry changed nothing).
    ///
    /// Each entry is one conditional `UPDATE … WHERE state = 'running' AND lease_owner = …`:
    /// when a rescue (or another process) changes the job first, the server re-checks the
    /// condition on the new row and the entry does nothing. Jobs are updated in id order and the
    /// batches' unsettled counts once per batch at the end, in batch order, so that concurrent
    /// settlements lock rows in one order and never deadlock. A settled row's password is set
    /// NULL in the same statement; the `onSecretErased` action runs after the commit.
    public func settle(_ entries: [SettlementEntry]) throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        let time = now()
        let order = entries.indices.sorted { entries[$0].jobID < entries[$1].jobID }
        let (applied, erased) = try write { session in
            var applied = Array(repeating: false, count: entries.count)
            var settledByBatch: [String: Int] = [:]
            var attempts = PostgresAttemptRows()
            for index in order {
                let entry = entries[index]
                guard let (batchID, number, outcome) = try apply(entry, session: session, time: time) else { continue }
                applied[index] = true
                if case .settle = entry.settlement { settledByBatch[batchID, default: 0] += 1 }
                if let attempt = entry.attempt { attempts.append(jobID: entry.jobID, number: number, outcome, attempt) }
            }
            try attempts.insert(session)
            for (batchID, count) in settledByBatch.sorted(by: { $0.key < $1.key }) {
                try session.execute(
                    """
                    UPDATE batch SET unsettled = unsettled - \(count),
                        state = CASE WHEN unsettled - \(count) <= 0 AND state = 'ready' THEN 'settled' ELSE state END,
                        finished_at = CASE WHEN unsettled - \(count) <= 0 THEN \(time) ELSE finished_at END
                    WHERE id = \(batchID)
                    """)
            }
            return (applied, !settledByBatch.isEmpty)
        }
        if erased { secretWasErased() }
        return applied
    }

    /// Applies one entry if its job is still held by that claim: the job's batch, its attempt
    /// count (the number of the attempt to record) and the outcome to record; nil when it is not.
    private func apply(_ entry: SettlementEntry, session: PostgresSession, time: Timestamp) throws
        -> (batchID: String, attempts: Int, outcome: String)?
    {
        let held: PostgresQuery.StringInterpolation.Held = (entry.jobID, entry.leaseOwner, entry.claimedAttempts)
        let rows: [PostgresRow]
        let outcome: String
        switch entry.settlement {
        case .settle(let state, let code, let message, let note, let apiLogin, let apiKey):
            outcome = state.rawValue
            rows = try session.query(
                """
                UPDATE job SET state = \(state.rawValue), secret = NULL, error_code = \(code),
                    error_message = \(message), note = COALESCE(\(note), note), api_login = \(apiLogin),
                    api_key = \(apiKey), lease_owner = NULL, lease_expires_at = NULL, updated_at = \(time)
                WHERE \(held: held)
                RETURNING batch_id, attempts
                """)
        case .retry(let at, let code, let message, let note, let countsAsFailure, let ambiguous):
            outcome = JobState.retrying.rawValue
            rows = try session.query(
                """
                UPDATE job SET state = 'retrying', run_at = \(at), error_code = \(code), error_message = \(message),
                    note = COALESCE(\(note), note), failures = failures + \(countsAsFailure ? 1 : 0),
                    ambiguous = ambiguous OR \(ambiguous), lease_owner = NULL, lease_expires_at = NULL,
                    updated_at = \(time)
                WHERE \(held: held)
                RETURNING batch_id, attempts
                """)
        case .release:
            outcome = "released"
            // The claim counted an attempt; a release without a request takes it back.
            rows = try session.query(
                """
                UPDATE job SET state = 'queued', attempts = attempts - \(entry.attempt == nil ? 1 : 0),
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = \(time)
                WHERE \(held: held)
                RETURNING batch_id, attempts
                """)
        }
        guard let row = rows.first else { return nil }
        let (batchID, attempts) = try row.decode((String, Int).self)
        return (batchID, attempts, outcome)
    }
}

extension PostgresQuery.StringInterpolation {
    /// A job held by a claim: its id, lease owner and, when known, its attempt count at the claim.
    typealias Held = (jobID: Int64, leaseOwner: String, claimedAttempts: Int?)

    /// `id = … AND state = 'running' AND lease_owner = … [AND attempts = …]`, bound.
    mutating func appendInterpolation(held: Held) {
        appendLiteral("id = ")
        appendInterpolation(held.jobID)
        appendLiteral(" AND state = 'running' AND lease_owner = ")
        appendInterpolation(held.leaseOwner)
        if let attempts = held.claimedAttempts {
            appendLiteral(" AND attempts = ")
            appendInterpolation(attempts)
        }
    }
}

/// Attempt rows of one settlement transaction, inserted together in one statement.
struct PostgresAttemptRows {
    private var jobIDs: [Int64] = []
    private var numbers: [Int64] = []
    private var startedAt: [Double] = []
    private var finishedAt: [Double] = []
    private var outcomes: [String?] = []
    private var failureClasses: [String?] = []
    private var httpStatuses: [Int64] = []
    private var errorCodes: [String?] = []
    private var messages: [String?] = []
    private var workers: [String?] = []

    mutating func append(jobID: Int64, number: Int, _ outcome: String, _ attempt: AttemptRecord) {
        jobIDs.append(jobID)
        numbers.append(Int64(number))
        startedAt.append(attempt.startedAt)
        finishedAt.append(attempt.finishedAt)
        outcomes.append(outcome)
        failureClasses.append(attempt.failureClass.rawValue)
        // -1 stands for "no HTTP status" in the array (NULLIF turns it back into NULL).
        httpStatuses.append(Int64(attempt.httpStatus ?? -1))
        errorCodes.append(attempt.errorCode)
        messages.append(attempt.message)
        workers.append(attempt.worker)
    }

    func insert(_ session: PostgresSession) throws {
        guard !jobIDs.isEmpty else { return }
        try session.execute(
            """
            INSERT INTO attempt (job_id, number, started_at, finished_at, outcome, failure_class, http_status,
                                 error_code, message, worker)
            SELECT a.job_id, a.number, a.started_at, a.finished_at, a.outcome, a.failure_class,
                   NULLIF(a.http_status, -1), a.error_code, a.message, a.worker
            FROM unnest(\(jobIDs)::bigint[], \(numbers)::bigint[], \(startedAt)::float8[], \(finishedAt)::float8[],
                        \(PostgresTextArray(outcomes))::text[], \(PostgresTextArray(failureClasses))::text[],
                        \(httpStatuses)::bigint[], \(PostgresTextArray(errorCodes))::text[],
                        \(PostgresTextArray(messages))::text[], \(PostgresTextArray(workers))::text[])
                 AS a(job_id, number, started_at, finished_at, outcome, failure_class, http_status, error_code,
                      message, worker)
            ORDER BY a.job_id
            """)
    }
}

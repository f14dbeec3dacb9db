import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Applies every entry, all in ONE transaction (group commit): either all are recorded or
    /// none is. Returns, for each entry in order, whether its job was still held by that claim
    /// (false: that entry changed nothing).
    ///
    /// The jobs are changed by one `UPDATE … FROM unnest(…) WHERE state = 'running' AND
    /// lease_owner = …` (entries naming a job twice take one more statement each time): when a
    /// rescue or another process changes a job first, the server re-checks the condition on the
    /// new row and that entry does nothing. The batches' unsettled counts are updated once per
    /// batch afterwards, in batch order, so that concurrent settlements lock batch rows in one
    /// order and never deadlock. A settled row's password is set NULL in the same statement; the
    /// `onSecretErased` action runs after the commit.
    public func settle(_ entries: [SettlementEntry]) throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        let time = now()
        let (applied, erased) = try write { session in
            var applied = Array(repeating: false, count: entries.count)
            var settledByBatch: [String: Int] = [:]
            var attempts = PostgresAttemptRows()
            for round in Self.rounds(entries) {
                let changed = try Self.apply(round.map { entries[$0] }, session: session, time: time)
                for index in round {
                    let entry = entries[index]
                    guard let (batchID, number) = changed[entry.jobID] else { continue }
                    applied[index] = true
                    if case .settle = entry.settlement { settledByBatch[batchID, default: 0] += 1 }
                    if let attempt = entry.attempt {
                        attempts.append(jobID: entry.jobID, number: number, entry.settlement.outcome, attempt)
                    }
                }
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

    /// The entries' indices in rounds in which no job appears twice, each round in job id
    /// order: a later entry for the same job sees what an earlier one did, as if applied one
    /// by one.
    private static func rounds(_ entries: [SettlementEntry]) -> [[Int]] {
        var rounds: [[Int]] = []
        var seen: [Int64: Int] = [:]
        for index in entries.indices {
            let round = seen[entries[index].jobID, default: -1] + 1
            seen[entries[index].jobID] = round
            if round == rounds.count { rounds.append([]) }
            rounds[round].append(index)
        }
        return rounds.map { $0.sorted { entries[$0].jobID < entries[$1].jobID } }
    }

    /// Applies `entries` (no job twice) in one statement: for each job still held by its
    /// entry's claim, its batch and its attempt count afterwards (the number of the attempt).
    private static func apply(_ entries: [SettlementEntry], session: PostgresSession, time: Timestamp) throws
        -> [Int64: (batchID: String, attempts: Int)]
    {
        var given = PostgresSettlementArrays()
        for entry in entries { given.append(entry) }
        let rows = try session.query(
            """
            UPDATE job SET
                state = g.state,
                secret = CASE WHEN g.final THEN NULL ELSE job.secret END,
                run_at = CASE WHEN g.retried THEN g.run_at ELSE job.run_at END,
                error_code = CASE WHEN g.release THEN job.error_code ELSE g.error_code END,
                error_message = CASE WHEN g.release THEN job.error_message ELSE g.error_message END,
                note = COALESCE(g.note, job.note),
                api_login = CASE WHEN g.final THEN g.api_login ELSE job.api_login END,
                api_key = CASE WHEN g.final THEN g.api_key ELSE job.api_key END,
                failures = job.failures + g.failure,
                ambiguous = job.ambiguous OR g.ambiguous,
                attempts = job.attempts - g.unsent,
                lease_owner = NULL, lease_expires_at = NULL, updated_at = \(time)
            FROM unnest(\(given.jobIDs)::bigint[], \(PostgresTextArray(given.owners))::text[],
                        \(given.claimedAttempts)::bigint[], \(PostgresTextArray(given.states))::text[],
                        \(given.finals)::bool[], \(given.releases)::bool[], \(given.runAts)::float8[],
                        \(given.retried)::bool[], \(PostgresTextArray(given.errorCodes))::text[],
                        \(PostgresTextArray(given.errorMessages))::text[], \(PostgresTextArray(given.notes))::text[],
                        \(PostgresTextArray(given.apiLogins))::text[], \(PostgresTextArray(given.apiKeys))::text[],
                        \(given.failures)::bigint[], \(given.ambiguous)::bool[], \(given.unsent)::bigint[])
                 AS g(id, owner, claimed, state, final, release, run_at, retried, error_code, error_message, note,
                      api_login, api_key, failure, ambiguous, unsent)
            WHERE job.id = g.id AND job.state = 'running' AND job.lease_owner = g.owner
              AND (g.claimed < 0 OR job.attempts = g.claimed)
            RETURNING job.id, job.batch_id, job.attempts
            """)
        var changed: [Int64: (batchID: String, attempts: Int)] = [:]
        for row in rows {
            let (id, batchID, attempts) = try row.decode((Int64, String, Int).self)
            changed[id] = (batchID, attempts)
        }
        return changed
    }
}

extension Settlement {
    /// The outcome recorded in the attempt row: the settled state, `retrying` or `released`.
    var outcome: String {
        switch self {
        case .settle(let state, _, _, _, _, _): return state.rawValue
        case .retry: return JobState.retrying.rawValue
        case .release: return "released"
        }
    }
}

/// The entries of one settlement statement, one array per column (`unnest`ed by the server).
private struct PostgresSettlementArrays {
    var jobIDs: [Int64] = []
    var owners: [String?] = []
    /// The attempt count at the claim, or −1: any claim of the owner.
    var claimedAttempts: [Int64] = []
    var states: [String?] = []
    /// Settles the job (its secret is erased, its login and key kept).
    var finals: [Bool] = []
    /// Releases the job untouched (its error and note stay).
    var releases: [Bool] = []
    var runAts: [Double] = []
    /// `runAts` holds a new run time (a retry).
    var retried: [Bool] = []
    var errorCodes: [String?] = []
    var errorMessages: [String?] = []
    var notes: [String?] = []
    var apiLogins: [String?] = []
    var apiKeys: [String?] = []
    var failures: [Int64] = []
    var ambiguous: [Bool] = []
    /// 1 when a release takes back the attempt its claim counted (no request was made).
    var unsent: [Int64] = []

    mutating func append(_ entry: SettlementEntry) {
        jobIDs.append(entry.jobID)
        owners.append(entry.leaseOwner)
        claimedAttempts.append(Int64(entry.claimedAttempts ?? -1))
        var (final, release, runAt, retried, failure, ambiguous, unsent) = (false, false, 0.0, false, 0, false, 0)
        var (code, message, note, login, key): (String?, String?, String?, String?, String?) = (nil, nil, nil, nil, nil)
        switch entry.settlement {
        case .settle(let state, let errorCode, let errorMessage, let settledNote, let apiLogin, let apiKey):
            states.append(state.rawValue)
            final = true
            (code, message, note, login, key) = (errorCode, errorMessage, settledNote, apiLogin, apiKey)
        case .retry(let at, let errorCode, let errorMessage, let retryNote, let countsAsFailure, let wasAmbiguous):
            states.append(JobState.retrying.rawValue)
            (runAt, retried, failure, ambiguous) = (at, true, countsAsFailure ? 1 : 0, wasAmbiguous)
            (code, message, note) = (errorCode, errorMessage, retryNote)
        case .release:
            states.append(JobState.queued.rawValue)
            release = true
            unsent = entry.attempt == nil ? 1 : 0
        }
        finals.append(final)
        releases.append(release)
        runAts.append(runAt)
        self.retried.append(retried)
        errorCodes.append(PostgresText.storable(code))
        errorMessages.append(PostgresText.storable(message))
        notes.append(PostgresText.storable(note))
        apiLogins.append(PostgresText.storable(login))
        apiKeys.append(PostgresText.storable(key))
        failures.append(Int64(failure))
        self.ambiguous.append(ambiguous)
        self.unsent.append(Int64(unsent))
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
        errorCodes.append(PostgresText.storable(attempt.errorCode))
        messages.append(PostgresText.storable(attempt.message))
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
                 WITH ORDINALITY AS a(job_id, number, started_at, finished_at, outcome, failure_class, http_status,
                      error_code, message, worker, position)
            ORDER BY a.position
            """)
    }
}

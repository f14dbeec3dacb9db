import PostgresNIO
import SubImport

extension PostgresQueue {
    /// Claims up to `limit` runnable jobs of `scope` for `owner`, with a lease until
    /// `now + leaseSeconds`, in one statement: the runnable rows are picked in `run_at, id`
    /// order `FOR UPDATE OF job SKIP LOCKED`, so claims of many processes never wait for each
    /// other and a job is never held by two of them (a row another claim just took is re-checked
    /// by the server and skipped). Each claimed job's `attempts` is incremented; a batch's
    /// `started_at` is set by its first claim.
    public func claim(scope: WorkScope, owner: WorkerIdentity, limit: Int, leaseSeconds: Double) throws
        -> [ClaimedJob]
    {
        guard limit > 0 else { return [] }
        let time = now()
        do {
            return try unknownClaims.releasing(in: self) { session in
                try claim(scope: scope, owner: owner, limit: limit, leaseSeconds: leaseSeconds, time: time, session)
            }
        } catch {
            // The rows may be claimed although no answer came back: put back at the next chance.
            unknownClaims.add(PostgresUnknownClaims.Claim(owner: owner.description, time: time))
            throw error
        }
    }

    /// The claim statement of `claim(scope:owner:limit:leaseSeconds:)`, in `session`'s transaction.
    private func claim(
        scope: WorkScope, owner: WorkerIdentity, limit: Int, leaseSeconds: Double, time: Timestamp,
        _ session: PostgresSession
    ) throws -> [ClaimedJob] {
        let rows = try session.query(
            """
            WITH picked AS (
                SELECT job.id FROM job JOIN batch ON batch.id = job.batch_id
                WHERE job.state IN ('queued', 'retrying') AND job.run_at <= \(time)
                  AND batch.state = 'ready' AND batch.account = \(scope.account)
                  AND (\(scope.batchIDs)::text[] IS NULL OR batch.id = ANY(\(scope.batchIDs)::text[]))
                ORDER BY job.run_at, job.id
                LIMIT \(limit)
                FOR UPDATE OF job SKIP LOCKED
            ), claimed AS (
                UPDATE job SET state = 'running', attempts = job.attempts + 1,
                    lease_owner = \(owner.description), lease_expires_at = \(time + leaseSeconds),
                    updated_at = \(time)
                FROM picked WHERE job.id = picked.id
                RETURNING job.id, job.batch_id, job.row, job.fields, job.secret, job.attempts, job.failures,
                    job.ambiguous, job.note
            )
            SELECT claimed.*, batch.provider, batch.mode, batch.account, batch.columns,
                batch.started_at IS NULL AS first_claim
            FROM claimed JOIN batch ON batch.id = claimed.batch_id
            ORDER BY claimed.id
            """)
        var claimed: [ClaimedJob] = []
        var columnsByBatch: [String: [String]] = [:]
        var firstClaimed: Set<String> = []
        for row in rows {
            // By position (see the SELECT): no lookup by column name per row.
            let (
                id, batchID, number, fields, secret, attempts, failures, ambiguous, note, provider, mode, account,
                columnsText, firstClaim
            ) = try row.decode(
                (
                    Int64, String, Int, String, String?, Int, Int, Bool, String?, String, String, String,
                    String, Bool
                ).self)
            let columns: [String]
            if let known = columnsByBatch[batchID] {
                columns = known
            } else {
                columns = JSONText.stringArray(columnsText)
                columnsByBatch[batchID] = columns
                if firstClaim { firstClaimed.insert(batchID) }
            }
            claimed.append(
                ClaimedJob(
                    id: id, batchID: batchID, row: number, provider: provider, mode: mode, account: account,
                    fields: JSONText.namedValues(fields, names: columns), secret: secret, attempts: attempts,
                    failures: failures, ambiguous: ambiguous, note: note))
        }
        if !firstClaimed.isEmpty {
            try session.execute(
                """
                UPDATE batch SET started_at = \(time)
                WHERE id = ANY(\(firstClaimed.sorted())::text[]) AND started_at IS NULL
                """)
        }
        return claimed
    }

    /// Whether `scope` has a job that could be claimed right now (a read; the claim may still
    /// find nothing when another worker is faster).
    public func hasRunnableJob(scope: WorkScope) throws -> Bool {
        let time = now()
        return try read { session in
            try session.query(
                """
                SELECT EXISTS (SELECT 1 FROM job JOIN batch ON batch.id = job.batch_id
                    WHERE job.state IN ('queued', 'retrying') AND job.run_at <= \(time)
                      AND batch.state = 'ready' AND batch.account = \(scope.account)
                      AND (\(scope.batchIDs)::text[] IS NULL OR batch.id = ANY(\(scope.batchIDs)::text[])))
                """
            ).first?.decode(Bool.self) ?? false
        }
    }

    /// How much of `scope` is unsettled, and when the next job can run.
    public func outlook(scope: WorkScope) throws -> QueueOutlook {
        try read { session in
            let unsettled =
                try session.query(
                    """
                    SELECT COALESCE(SUM(unsettled), 0)::bigint FROM batch
                    WHERE state = 'ready' AND account = \(scope.account)
                      AND (\(scope.batchIDs)::text[] IS NULL OR id = ANY(\(scope.batchIDs)::text[]))
                    """
                ).first?.decode(Int.self) ?? 0
            let next = try session.query(
                """
                SELECT job.run_at FROM job JOIN batch ON batch.id = job.batch_id
                WHERE job.state IN ('queued', 'retrying') AND batch.state = 'ready' AND batch.account = \(scope.account)
                  AND (\(scope.batchIDs)::text[] IS NULL OR batch.id = ANY(\(scope.batchIDs)::text[]))
                ORDER BY job.run_at LIMIT 1
                """
            ).first?.decode(Double.self)
            return QueueOutlook(unsettled: unsettled, nextRunAt: next)
        }
    }

    /// Extends the leases `owner` holds to `now + leaseSeconds`, in one statement (after
    /// putting back the rows of claims whose outcome this process never learnt: see
    /// `PostgresUnknownClaims`).
    @discardableResult
    public func renewLeases(owner: WorkerIdentity, leaseSeconds: Double) throws -> Int {
        let time = now()
        return try unknownClaims.releasing(in: self) { session in
            try session.execute(
                """
                UPDATE job SET lease_expires_at = \(time + leaseSeconds)
                WHERE state = 'running' AND lease_owner = \(owner.description)
                """)
        }
    }

    /// Rescues jobs whose lease expired, or whose owning process is certainly gone (only known
    /// for owners on this host: `WorkerIdentity.isDead`; another host's worker is rescued once its
    /// lease expires). Such a job's request may have reached the provider: `policy` decides, as
    /// for an answer, what a crash in flight means (`SettlementPolicy.abandoned`). Each rescue is
    /// a `settle` of the lease it found, so a worker that answers at the same moment and the
    /// rescuer cannot both apply. Returns how many jobs were rescued.
    @discardableResult
    public func rescueAbandonedLeases(policy: SettlementPolicy, rescuer: WorkerIdentity) throws -> Int {
        let time = now()
        let candidates = try read { session in
            try session.query(
                """
                SELECT job.id, job.lease_owner, job.lease_expires_at, job.failures, job.ambiguous, batch.mode
                FROM job JOIN batch ON batch.id = job.batch_id WHERE job.state = 'running'
                """
            ).map { try $0.decode((Int64, String?, Double?, Int, Bool, String).self) }
        }
        var rescued = 0
        for (id, leaseOwner, expiresAt, failures, ambiguous, mode) in candidates {
            let owner = leaseOwner ?? ""
            guard (expiresAt ?? 0) < time || WorkerIdentity.isDead(owner: owner) else { continue }
            let verdict = policy.decide(
                SettlementPolicy.abandoned, mode: ImportMode(rawValue: mode) ?? .create,
                history: AttemptHistory(failures: failures, ambiguous: ambiguous), now: time)
            let record = AttemptRecord(
                startedAt: time, finishedAt: time, failureClass: verdict.decision.failureClass, httpStatus: nil,
                errorCode: nil, message: "lease of \(owner) abandoned", worker: rescuer.description)
            if try settle(jobID: id, leaseOwner: owner, verdict.settlement, attempt: record) { rescued += 1 }
        }
        return rescued
    }

    /// Jobs of the queue held right now by `owner` (claimed, their answer not yet recorded).
    public func runningJobs(owner: WorkerIdentity) throws -> Int {
        try read { session in
            try session.query(
                "SELECT COUNT(*) FROM job WHERE state = 'running' AND lease_owner = \(owner.description)"
            ).first?.decode(Int.self) ?? 0
        }
    }
}

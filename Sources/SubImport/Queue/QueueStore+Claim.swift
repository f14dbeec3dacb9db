import Foundation
import GRDB

/// Which jobs a worker pool may take: one provider account, optionally only some batches.
public struct WorkScope: Sendable {
    public var account: String
    /// nil = every ready batch of the account.
    public var batchIDs: [String]?

    public init(account: String, batchIDs: [String]? = nil) {
        self.account = account
        self.batchIDs = batchIDs
    }

    var batchFilter: (sql: String, arguments: StatementArguments) {
        guard let batchIDs else { return ("", []) }
        let marks = Array(repeating: "?", count: batchIDs.count).joined(separator: ",")
        return (" AND batch.id IN (\(marks))", StatementArguments(batchIDs))
    }
}

extension QueueStore {
    /// Claims up to `limit` runnable jobs of `scope` for `owner`, with a lease until
    /// `now + leaseSeconds`, in one statement: a job is never held by two workers at once.
    /// Each claimed job's `attempts` is incremented.
    public func claim(scope: WorkScope, owner: WorkerIdentity, limit: Int, leaseSeconds: Double) throws
        -> [ClaimedJob]
    {
        let filter = scope.batchFilter
        let time = now()
        return try write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE job SET state = 'running', attempts = attempts + 1, lease_owner = ?,
                            lease_expires_at = ?, updated_at = ?
                        WHERE id IN (
                            SELECT job.id FROM job JOIN batch ON batch.id = job.batch_id
                            WHERE job.state IN ('queued', 'retrying') AND job.run_at <= ?
                              AND batch.state = 'ready' AND batch.account = ?\(filter.sql)
                            ORDER BY job.run_at, job.id LIMIT ?)
                        RETURNING id, batch_id, row, fields, secret, attempts, failures, ambiguous, note
                        """),
                arguments: [owner.description, time + leaseSeconds, time, time, scope.account] + filter.arguments
                    + [limit])
            var claimed: [ClaimedJob] = []
            var batches: [String: ClaimedBatch] = [:]
            // Columns are read by position (in RETURNING's order): by name costs a
            // case-insensitive search of the row's names.
            for row in rows {
                let batchID: String = row[1]
                let batch: ClaimedBatch
                if let known = batches[batchID] {
                    batch = known
                } else {
                    let found = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT provider, mode, account, columns FROM batch WHERE id = ?"),
                        arguments: [batchID])
                    batch = ClaimedBatch(
                        provider: found?[0] ?? "", mode: found?[1] ?? "create", account: found?[2] ?? "",
                        columns: JSONText.stringArray(found?[3] ?? "[]"))
                    batches[batchID] = batch
                    try db.cachedStatement(
                        sql: "UPDATE batch SET started_at = ? WHERE id = ? AND started_at IS NULL"
                    ).execute(arguments: [time, batchID])
                }
                claimed.append(
                    ClaimedJob(
                        id: row[0], batchID: batchID, row: row[2], provider: batch.provider, mode: batch.mode,
                        account: batch.account, fields: JSONText.namedValues(row[3], names: batch.columns),
                        secret: row[4], attempts: row[5], failures: row[6], ambiguous: row[7], note: row[8]))
            }
            return claimed
        }
    }

    /// Whether `scope` has a job that could be claimed right now (a read; the claim may still
    /// find nothing when another worker is faster).
    public func hasRunnableJob(scope: WorkScope) throws -> Bool {
        let filter = scope.batchFilter
        let time = now()
        return try read { db in
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM job JOIN batch ON batch.id = job.batch_id
                            WHERE job.state IN ('queued', 'retrying') AND job.run_at <= ?
                              AND batch.state = 'ready' AND batch.account = ?\(filter.sql))
                        """), arguments: [time, scope.account] + filter.arguments) ?? false
        }
    }

    /// How much of `scope` is unsettled, and when the next job can run.
    public func outlook(scope: WorkScope) throws -> QueueOutlook {
        let filter = scope.batchFilter
        return try read { db in
            let unsettled =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COALESCE(SUM(unsettled), 0) FROM batch WHERE state = 'ready' AND account = ?\(filter.sql)",
                    arguments: [scope.account] + filter.arguments) ?? 0
            let next = try Double.fetchOne(
                db,
                sql: """
                    SELECT job.run_at FROM job JOIN batch ON batch.id = job.batch_id
                    WHERE job.state IN ('queued', 'retrying') AND batch.state = 'ready' AND batch.account = ?\(filter.sql)
                    ORDER BY job.run_at LIMIT 1
                    """,
                arguments: [scope.account] + filter.arguments)
            return QueueOutlook(unsettled: unsettled, nextRunAt: next)
        }
    }

    /// Extends the leases `owner` holds to `now + leaseSeconds`, in one statement.
    @discardableResult
    public func renewLeases(owner: WorkerIdentity, leaseSeconds: Double) throws -> Int {
        let time = now()
        return try write { db in
            try db.cachedStatement(
                sql: "UPDATE job SET lease_expires_at = ? WHERE state = 'running' AND lease_owner = ?"
            ).execute(arguments: [time + leaseSeconds, owner.description])
            return db.changesCount
        }
    }

    /// Rescues jobs whose lease expired or whose owning process is gone. Such a job's request may
    /// have reached the provider: `policy` decides, exactly as for an answer, what a crash in
    /// flight (`SettlementPolicy.abandoned`) means for the row's mode and history (a create is
    /// retried as a `possible duplicate` or settled `uncertain`; an update is simply retried or,
    /// its attempts used up, `failed`). Returns how many jobs were rescued.
    @discardableResult
    public func rescueAbandonedLeases(policy: SettlementPolicy, rescuer: WorkerIdentity) throws -> Int {
        let time = now()
        let candidates = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT job.id, job.lease_owner, job.lease_expires_at, job.failures, job.ambiguous, batch.mode
                    FROM job JOIN batch ON batch.id = job.batch_id WHERE job.state = 'running'
                    """)
        }
        var rescued = 0
        for candidate in candidates {
            let owner: String = candidate["lease_owner"] ?? ""
            let expires: Double = candidate["lease_expires_at"] ?? 0
            guard expires < time || WorkerIdentity.isDead(owner: owner) else { continue }
            let verdict = policy.decide(
                SettlementPolicy.abandoned, mode: ImportMode(rawValue: candidate["mode"] ?? "") ?? .create,
                history: AttemptHistory(failures: candidate["failures"], ambiguous: candidate["ambiguous"]), now: time)
            let record = AttemptRecord(
                startedAt: time, finishedAt: time, failureClass: verdict.decision.failureClass, httpStatus: nil,
                errorCode: nil, message: "lease of \(owner) abandoned", worker: rescuer.description)
            if try settle(jobID: candidate["id"], leaseOwner: owner, verdict.settlement, attempt: record) {
                rescued += 1
            }
        }
        return rescued
    }
}

/// What a claim reads once per batch for every row it claims of it.
private struct ClaimedBatch {
    var provider: String
    var mode: String
    var account: String
    /// The batch's column names, in the order of each row's `fields`.
    var columns: [String]
}

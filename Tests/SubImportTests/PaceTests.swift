import Foundation
import GRDB
import Testing

@testable import SubImport

/// `status`'s pace and next retry read the queue's recent attempts and its retrying rows, never
/// the batch's rows: the same cost at a million rows as at ten.
@Suite struct PaceTests {
    let directory = TestDirectory()

    /// A queue with one batch of `rows` queued rows, its sending started 100 s before `now`.
    func startedBatch(rows: Int, now: Double) throws -> (QueueStore, String) {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("a.csv", Fixtures.validRows(rows)))
        try store.write { db in
            try db.execute(sql: "UPDATE batch SET started_at = ?", arguments: [now - 100])
        }
        return (store, summary.batch.id)
    }

    /// Records `count` attempts of the batch's first row, `spacing` seconds apart and ending at
    /// `end`, settling them as `outcome`.
    func recordAttempts(_ store: QueueStore, count: Int, spacing: Double, end: Double, outcome: String) throws {
        try store.write { db in
            let low = try JobIDs.range(db, batchID: try #require(try store.batches().first).id).low
            for index in 0..<count {
                try db.execute(
                    sql: """
                        INSERT INTO attempt (job_id, number, started_at, finished_at, outcome, failure_class, worker)
                        VALUES (?, 1, ?, ?, ?, 'created', 'w')
                        """,
                    arguments: [
                        low | 1, end - Double(count - 1 - index) * spacing, end - Double(count - 1 - index) * spacing,
                        outcome,
                    ])
            }
        }
    }

    @Test func paceCountsTheAnswersSettledWithinTheWindow() throws {
        let now = Date().timeIntervalSince1970
        let (store, batchID) = try startedBatch(rows: 10, now: now)
        // 30 settled in the last 30 s, 10 retried (not settled), 5 older than the window.
        try recordAttempts(store, count: 5, spacing: 1, end: now - 70, outcome: "created")
        try recordAttempts(store, count: 30, spacing: 1, end: now - 1, outcome: "created")
        try recordAttempts(store, count: 10, spacing: 1, end: now - 1, outcome: "retrying")
        let pace = try store.pace(batchID: batchID, window: 60, now: now)
        #expect(pace.rowsSettled == 30)
        #expect(pace.seconds == 60)
        #expect(pace.unsettled == 10)
    }

    @Test func aBusyWindowIsShortenedToTheAttemptsRead() throws {
        let now = Date().timeIntervalSince1970
        let (store, batchID) = try startedBatch(rows: 2, now: now)
        // Twice the attempts `pace` reads, all within the window, 1 ms apart.
        let count = Int(BatchPace.attemptLimit) * 2
        try recordAttempts(store, count: count, spacing: 0.001, end: now, outcome: "created")
        let pace = try store.pace(batchID: batchID, window: 60, now: now)
        #expect(pace.rowsSettled <= Int(BatchPace.attemptLimit))
        #expect(pace.seconds < 60 && pace.seconds > 0)
        #expect(abs(pace.rate - 1000) / 1000 < 0.01, "the rate over the attempts read: \(pace.rate)")
    }

    @Test func theNextRetryIsReadFromTheRetryingRowsIndex() throws {
        let now = Date().timeIntervalSince1970
        let (store, batchID) = try startedBatch(rows: 4, now: now)
        try store.write { db in
            try db.execute(
                sql: "UPDATE job SET state = 'retrying', run_at = ? WHERE row = 2", arguments: [now + 30])
            try db.execute(
                sql: "UPDATE job SET state = 'retrying', run_at = ? WHERE row = 3", arguments: [now + 10])
        }
        let detail = try store.pendingDetail(batchID: batchID)
        #expect(detail.nextRetryAt == now + 10)
        #expect(detail.byState == ["queued": 2, "retrying": 2])
        let plan = try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT MIN(run_at) FROM job INDEXED BY job_retrying
                    WHERE state = 'retrying' AND id BETWEEN 0 AND 1
                    """
            ).map { $0["detail"] as String }.joined()
        }
        #expect(plan.contains("job_retrying"))
    }
}

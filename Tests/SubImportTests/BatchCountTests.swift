import Foundation
import GRDB
import Testing

@testable import SubImport

/// A batch's row counts by state are kept, not counted row by row: ingest counts the batch once,
/// and every later state change, whoever makes it (the engine, `retry`, a plain SQL update), is
/// counted by the queue's trigger.
@Suite struct BatchCountTests {
    let directory = TestDirectory()

    /// The counts as a scan of the batch's rows finds them (what the kept counts must equal).
    func scanned(_ store: QueueStore, _ batchID: String) throws -> [String: Int] {
        try store.read { db in
            let ids = try JobIDs.range(db, batchID: batchID)
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT state, COUNT(*) AS n FROM job WHERE id BETWEEN ? AND ? GROUP BY state",
                arguments: [ids.low, ids.high])
            {
                counts[JobState(rawValue: row["state"])!.reportStatus, default: 0] += row["n"] as Int
            }
            return counts
        }
    }

    @Test func keptCountsFollowEveryStateChangeAndGoWithTheBatch() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let csv = Fixtures.validRows(6) + "Nobody,,\n"
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("a.csv", csv))
        let batchID = summary.batch.id
        #expect(try store.statusCounts(batchID: batchID) == ["pending": 6, "invalid": 1])

        let claimed = try store.claim(
            scope: WorkScope(account: "a", batchIDs: [batchID]), owner: WorkerIdentity(), leaseSeconds: 60)
        #expect(claimed.count == 1)
        #expect(try store.pendingDetail(batchID: batchID).byState == ["queued": 5, "running": 1])
        try store.write { db in
            try db.execute(sql: "UPDATE job SET state = 'created' WHERE row IN (2, 3)")
            try db.execute(sql: "UPDATE job SET state = 'failed' WHERE row = 4")
            try db.execute(sql: "UPDATE job SET note = 'touched' WHERE row = 5")
        }
        let expected = ["pending": 3, "created": 2, "failed": 1, "invalid": 1]
        #expect(try store.statusCounts(batchID: batchID) == expected)
        #expect(try scanned(store, batchID) == expected)

        try store.write { db in
            try db.execute(sql: "UPDATE batch SET state = 'pruned' WHERE id = ?", arguments: [batchID])
        }
        #expect(try store.statusCounts(batchID: batchID).isEmpty, "a pruned batch has no rows left to count")
        try store.write { db in try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [batchID]) }
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM batch_count") } == 0)
    }
}

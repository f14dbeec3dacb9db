import Foundation
import GRDB
import Testing

@testable import SubImport

/// A batch's row counts by state are kept, not counted row by row: ingest adds each chunk's rows
/// as it writes them, and every later state change, whoever makes it (the engine, `retry`, a plain SQL update), is
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

    @Test func ingestCountsEveryChunkOnceEvenWhenAnInterruptedIngestIsRedone() throws {
        let store = try QueueStore(directory: directory.file("state"))
        var lines = [Fixtures.header]
        for index in 1...40 {
            // Rows 1-10 unique, 11-30 repeat them, every 7th row misses its last name.
            lines.append(
                index % 7 == 0
                    ? "Person\(index),,secret-\(index)-pw,Co"
                    : "Person\(index % 10),Lastname\(index % 10),secret-\(index % 10)-pw,Co")
        }
        let file = directory.write("chunks.csv", lines.joined(separator: "\n"))
        // An ingest of the same content left behind, with rows and counts, by a process that is gone.
        let id = try store.abandonedIngest(of: file, account: "a")
        try store.appendJobs(batchID: id, [NewJob(row: 1, line: 2, state: .queued, fields: "[]")])

        var ingestor = Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
        ingestor.chunkSize = 3
        let summary = try ingestor.ingest(path: file)
        #expect(summary.batch.id == id)
        #expect(summary.rows == 40)
        let kept = try store.statusCounts(batchID: id)
        #expect(kept == ["pending": summary.toSend, "invalid": summary.invalid, "duplicate": summary.duplicates])
        #expect(kept == (try scanned(store, id)))
        #expect(summary.invalid == 5)
    }
}

import Foundation
import Testing

@testable import SubImport

/// Retention in the engine: what `Pruner` may delete, against a real queue.
@Suite struct PrunerTests {
    let directory = TestDirectory()

    /// A one-row batch whose row was settled `failed` by a worker.
    func failedBatch() throws -> (QueueStore, String) {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "acct")
            .ingest(path: directory.write("q.csv", Fixtures.validRows(1)))
        let owner = WorkerIdentity()
        let job = try #require(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
        try store.settle(
            jobID: job.id, leaseOwner: owner.description,
            .settle(.failed, errorCode: "422", errorMessage: "rejected", note: nil),
            attempt: AttemptRecord(
                startedAt: now(), finishedAt: now(), failureClass: .rejected, httpStatus: 422, errorCode: nil,
                message: "rejected", worker: owner.description))
        return (store, summary.batch.id)
    }

    @Test func aBatchWhoseReportIsNotWrittenYetIsKept() throws {
        let (store, batch) = try failedBatch()
        #expect(try store.batch(id: batch)?.state == .settled)
        #expect(try store.pruneCandidates(finishedBefore: now() + 1).isEmpty, "watch has not reported it yet")
        _ = try ReportWriter(store: store, directory: directory.file("reports")).write(batchID: batch)
        #expect(try store.pruneCandidates(finishedBefore: now() + 1).map(\.batchID) == [batch])
        #expect(try store.pruneCandidates(finishedBefore: now() - 60).isEmpty, "finished less than a minute ago")
    }

    @Test func aBatchRequeuedAfterTheListingIsNotDeleted() throws {
        let (store, batch) = try failedBatch()
        _ = try ReportWriter(store: store, directory: directory.file("reports")).write(batchID: batch)
        let cutoff = now() + 1
        #expect(try store.pruneCandidates(finishedBefore: cutoff).count == 1)
        _ = try store.retry(batchID: batch, secrets: [1: "secret-pw"])
        #expect(try !store.deleteFinishedBatch(batch, finishedBefore: cutoff))
        #expect(try store.statusCounts(batchID: batch) == ["pending": 1])
    }

    @Test func pruneDeletesTheRowsAndAttemptsAndTruncatesTheLog() throws {
        let (store, batch) = try failedBatch()
        _ = try ReportWriter(store: store, directory: directory.file("reports")).write(batchID: batch)
        let result = try Pruner(store: store).prune(olderThan: RetentionAge("0s")!, now: now() + 1, dryRun: false)
        #expect(result.batches.map(\.batchID) == [batch])
        #expect(result.walTruncated)
        #expect(try store.batch(id: batch)?.state == .pruned, "only its identity stays")
        #expect(try store.attempts(batchID: batch, row: 1).isEmpty)
        let wal = (try? FileManager.default.attributesOfItem(atPath: directory.file("state/queue.sqlite-wal")))?[.size]
        #expect((wal as? Int ?? 0) == 0)
    }

    @Test func durationsAreWholeNumbersWithAUnit() {
        #expect(RetentionAge("90d")?.seconds == 7_776_000)
        #expect(RetentionAge("12h")?.seconds == 43_200)
        #expect(RetentionAge("30m")?.seconds == 1_800)
        #expect(RetentionAge("10s")?.seconds == 10)
        #expect(RetentionAge("0s")?.seconds == 0)
        for bad in ["", "d", "90", "1.5h", "-1d", "+1d", "3w", "1 d", "1D"] {
            #expect(RetentionAge(bad) == nil, "\(bad)")
        }
    }
}

import Foundation
import GRDB
import Testing

@testable import SubImport

/// The ingest's background checkpoints: pages committed by the writer are copied into the
/// database file by a thread and connection of their own, which end when asked or when idle.
@Suite struct IngestCheckpointerTests {
    let directory = TestDirectory()

    /// A queue with an ingesting batch of `rows` rows committed (so in the WAL, not yet copied).
    func storeWithRows(_ rows: Int) throws -> (store: QueueStore, batchID: String) {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write("rows.csv", Fixtures.validRows(3))
        let id = try store.abandonedIngest(of: file, account: "octopush@test")
        let jobs = (1...rows).map {
            NewJob(
                row: $0, line: $0 + 1, state: .queued, fields: "[\"" + String(repeating: "x", count: 200) + "\($0)\"]")
        }
        try store.appendJobs(batchID: id, jobs)
        return (store, id)
    }

    @Test func committedPagesAreCopiedInTheBackgroundAndTheThreadEndsWhenIdle() async throws {
        let (store, id) = try storeWithRows(2_000)
        let checkpointer = IngestCheckpointer(path: store.location, threshold: 1_000, idleSeconds: 0.05)
        checkpointer.noteAppended(bytes: 999)
        #expect(!checkpointer.isRunning)  // below the threshold: nothing started
        checkpointer.noteAppended(bytes: 1)
        #expect(await waitFor(seconds: 10) { checkpointer.framesCopied > 0 })
        // Every frame of the WAL is in the database file now: a checkpoint finds none to copy.
        let result = try await store.pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
        #expect(result.checkpointedFrameCount == result.walFrameCount)
        #expect(checkpointer.framesCopied >= result.walFrameCount)
        #expect(await waitFor(seconds: 10) { !checkpointer.isRunning })
        var rows = 0
        try store.forEachJob(batchID: id) { _ in rows += 1 }
        #expect(rows == 2_000)
    }

    @Test func finishingAnIngestEndsTheBackgroundThread() throws {
        let (store, id) = try storeWithRows(10)
        store.ingestCheckpointer.noteAppended(bytes: QueueStore.ingestCheckpointBytes)
        #expect(store.ingestCheckpointer.isRunning)
        try store.finishIngest(batchID: id, totalRows: 10, toSend: 10, encoding: "UTF-8", notes: "", columns: ["a"])
        #expect(!store.ingestCheckpointer.isRunning)
        // Started again by the next ingest's rows, ended by abandoning it.
        store.ingestCheckpointer.noteAppended(bytes: QueueStore.ingestCheckpointBytes)
        #expect(store.ingestCheckpointer.isRunning)
        try store.abandonIngest(batchID: id)
        #expect(!store.ingestCheckpointer.isRunning)
    }
}

import Foundation
import GRDB
import Testing

@testable import SubImport

/// A new queue is made of 4 KiB pages (every commit writes whole pages to the WAL); a queue made
/// with another page size keeps it, and ingest still checkpoints by bytes, not pages.
@Suite struct PageSizeTests {
    @Test func aNewQueueHas4KiBPages() throws {
        let store = try QueueStore(directory: TestDirectory().file("state"))
        #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 4096)
    }

    @Test func aQueueMadeWith16KiBPagesKeepsThemAndStillIngests() throws {
        let directory = TestDirectory()
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: state + "/queue.sqlite")
        try old.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; CREATE TABLE t (x); DROP TABLE t")
        }
        try old.close()
        let store = try QueueStore(directory: state)
        #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 16384)
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("a.csv", Fixtures.validRows(3)))
        #expect(summary.toSend == 3)
    }
}

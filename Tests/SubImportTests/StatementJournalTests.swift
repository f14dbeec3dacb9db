import Foundation
import GRDB
import Testing

@testable import SubImport

/// The writer's statement journals never go to a temporary file (created and deleted at most
/// commits, and holding page images that can include passwords); readers keep SQLite's default.
@Suite struct StatementJournalTests {
    @Test func theWriterKeepsStatementJournalsInMemory() throws {
        let directory = TestDirectory()
        let store = try QueueStore(directory: directory.file("state"))
        #expect(try store.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)
        #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 0)
    }
}

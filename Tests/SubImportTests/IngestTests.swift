import Foundation
import GRDB
import Testing

@testable import SubImport

@Suite struct IngestTests {
    let directory = TestDirectory()

    func ingestor(_ store: QueueStore) -> Ingestor {
        Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "octopush@test")
    }

    @Test func headerCellsNormalizeTheSameWithOrWithoutAccents() {
        let expected = [
            "First-Name ": "first_name", " E.Mail  Address\t": "e_mail_address", "A__B--C": "a_b_c",
            "\r\nCompany Name\n": "company_name", "PASSWORD": "password", "   ": "", "Prénom": "prenom",
            "Société-Nom": "societe_nom",
        ]
        for (header, normalized) in expected {
            #expect(ColumnSchema.normalize(header) == normalized, "\(header)")
        }
    }

    @Test func everyRowBecomesExactlyOneJobWithItsState() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write(
            "mixed.csv",
            """
            First Name;Last-Name;Password;Company;Email
            Leonardo;Da Vinci;secret1;Italy;leo@example.com
            Jo;Smith;secret2;;
            Marie;Curie;radium1898;;

            Marie;Curie;radium1898;;
            Hedy;Lamarr;short;;
            Ada;Lovelace;analytical;;not-an-email
            """)
        let summary = try ingestor(store).ingest(path: file)
        #expect(summary.rows == 6)
        #expect(summary.invalid == 3)
        #expect(summary.duplicates == 1)
        #expect(summary.toSend == 2)
        #expect(summary.notes.contains("delimiter ';'"))
        var states: [Int: (JobState, String?)] = [:]
        try store.forEachJob(batchID: summary.batch.id) { states[$0.row] = ($0.state, $0.errorMessage ?? $0.note) }
        #expect(states.count == 6)
        #expect(states[1]?.0 == .queued)
        #expect(states[2]?.0 == .invalid)
        #expect(states[2]?.1?.contains("first_name") == true)
        #expect(states[4]?.0 == .duplicate)
        #expect(states[4]?.1 == "duplicate of row 3: sent once")
        #expect(states[5]?.1?.contains("password") == true)
        #expect(states[6]?.1?.contains("email_for_inbounds") == true)
    }

    @Test func duplicatesAreFoundAcrossChunksWrittenOrInFlight() throws {
        let store = try QueueStore(directory: directory.file("state"))
        var lines = [Fixtures.header]
        for index in 1...30 { lines.append("Person\(index % 10),Lastname\(index % 10),secret-\(index % 10)-pw,Co") }
        var ingestor = ingestor(store)
        ingestor.chunkSize = 2
        let summary = try ingestor.ingest(path: directory.write("dups.csv", lines.joined(separator: "\n")))
        #expect(summary.toSend == 10)
        #expect(summary.duplicates == 20)
        var notes: [Int: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) { if $0.state == .duplicate { notes[$0.row] = $0.note } }
        #expect(notes[11] == "duplicate of row 1: sent once")
        #expect(notes[30] == "duplicate of row 10: sent once")
    }

    @Test func sameContentIsRecognisedAndNeverQueuedTwice() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let first = directory.write("a.csv", Fixtures.validRows(3))
        let copy = directory.write("renamed-copy.csv", Fixtures.validRows(3))
        let one = try ingestor(store).ingest(path: first)
        let two = try ingestor(store).ingest(path: copy)
        #expect(!one.alreadyKnown)
        #expect(two.alreadyKnown)
        #expect(two.batch.id == one.batch.id)
        #expect(try store.batches().count == 1)
        let other = Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "octopush@other")
        #expect(try other.ingest(path: copy).batch.id != one.batch.id)
    }

    @Test func rowsThatDifferOnlyInUnicodeCompositionAreDuplicates() throws {
        let store = try QueueStore(directory: directory.file("state"))
        // The same text composed (é, K) and decomposed (e + U+0301, the Kelvin sign): equal as
        // `String`s, so one row; a different accent is another row.
        let file = directory.write(
            "accents.csv",
            [
                Fixtures.header, "H\u{E9}l\u{E8}ne,Kaplan,secret-1-pw,Soci\u{E9}t\u{E9}",
                "He\u{301}le\u{300}ne,\u{212A}aplan,secret-1-pw,Socie\u{301}te\u{301}",
                "H\u{E8}l\u{E8}ne,Kaplan,secret-1-pw,Soci\u{E9}t\u{E9}",
            ].joined(separator: "\n"))
        let summary = try ingestor(store).ingest(path: file)
        #expect(summary.rows == 3)
        #expect(summary.duplicates == 1)
        #expect(summary.toSend == 2)
        var notes: [Int: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) { if let note = $0.note { notes[$0.row] = note } }
        #expect(notes == [2: "duplicate of row 1: sent once"])
    }

    @Test func missingRequiredColumnNamesTheFileAndColumn() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write("nopass.csv", "first_name,last_name\nLeonardo,Da Vinci\n")
        #expect {
            try ingestor(store).ingest(path: file)
        } throws: { error in
            "\(error)".contains("nopass.csv") && "\(error)".contains("password") && "\(error)".contains("line 1")
        }
        #expect(try store.batches().isEmpty)
    }

    @Test func missingAndBinaryFilesAreUnreadable() throws {
        let store = try QueueStore(directory: directory.file("state"))
        #expect(throws: SubImportError.self) { try ingestor(store).ingest(path: directory.file("absent.csv")) }
        let binary = directory.write("blob.csv", bytes: [0x66, 0x69, 0x72, 0x00, 0x01, 0x02, 0x0A])
        #expect {
            try ingestor(store).ingest(path: binary)
        } throws: { "\($0)".contains("blob.csv") }
        let utf16 = directory.write("excel.csv", bytes: [0xFF, 0xFE] + Array("a".utf16).flatMap { [UInt8($0), 0] })
        #expect {
            try ingestor(store).ingest(path: utf16)
        } throws: { "\($0)".contains("excel.csv") && "\($0)".contains("UTF-16") }
        #expect(try store.batches().isEmpty)
    }

    @Test func windows1252FileIsDecodedAndSaysSo() throws {
        let store = try QueueStore(directory: directory.file("state"))
        // "Hélène;Müller;secret1;Société" in Windows-1252
        var bytes = Array("first_name;last_name;password;company_name\r\n".utf8)
        bytes += [0x48, 0xE9, 0x6C, 0xE8, 0x6E, 0x65, 0x3B, 0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x3B]
        bytes += Array("secret1;Soci".utf8) + [0xE9, 0x74, 0xE9, 0x0D, 0x0A]
        let file = directory.write("latin.csv", bytes: bytes)
        let summary = try ingestor(store).ingest(path: file)
        #expect(summary.toSend == 1)
        #expect(summary.notes.contains { $0.contains("Windows-1252") })
        var fields: [String: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) { fields = $0.fields }
        #expect(fields["first_name"] == "Hélène")
        #expect(fields["last_name"] == "Müller")
        #expect(fields["company_name"] == "Société")
    }

    @Test func contentBeingQueuedByALiveProcessIsNotQueuedTwice() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write("busy.csv", Fixtures.validRows(2))
        let identity = BatchIdentity(
            sha256: try Digest.sha256Hex(ofFile: file), provider: "octopush", mode: "create", account: "octopush@test")
        let other = WorkerIdentity()
        _ = try store.beginIngest(identity: identity, fileName: "busy.csv", filePath: file, owner: other)
        #expect {
            try ingestor(store).ingest(path: file)
        } throws: { "\($0)".contains("being queued right now by another process") }
    }

    @Test func passwordsAreStoredApartFromFields() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try ingestor(store).ingest(path: directory.write("p.csv", Fixtures.validRows(1)))
        var fields: [String: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) { fields = $0.fields }
        #expect(fields["password"] == nil)
        #expect(!fields.values.contains("secret-1-pw"))
        #expect(try store.storedRow(batchID: summary.batch.id, row: 1)?.secret == "secret-1-pw")
    }

    @Test func stateFolderAndDatabaseArePrivate() throws {
        let state = directory.file("state")
        _ = try QueueStore(directory: state)
        #expect(mode(of: state) & 0o777 == 0o700)
        #expect(mode(of: state + "/queue.sqlite") & 0o777 == 0o600)
    }

    @Test func interruptedIngestIsRedoneFromScratch() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write("r.csv", Fixtures.validRows(4))
        // An ingest left behind by a process that no longer exists.
        let id = try store.abandonedIngest(of: file, account: "octopush@test")
        try store.appendJobs(batchID: id, [NewJob(row: 1, line: 2, state: .queued, fields: "{}")])
        let summary = try ingestor(store).ingest(path: file)
        #expect(summary.batch.id == id)
        #expect(!summary.alreadyKnown)
        var rows = 0
        try store.forEachJob(batchID: id) { _ in rows += 1 }
        #expect(rows == 4)
        #expect(summary.batch.state == .ready)
    }

    @Test func appendingToABatchThatIsGoneIsRefusedAndWritesNothing() throws {
        let store = try QueueStore(directory: directory.file("state"))
        #expect(throws: SubImportError.self) {
            try store.appendJobs(batchID: "0123456789ab", [NewJob(row: 1, line: 2, state: .queued, fields: "[]")])
        }
        let jobs = try store.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        #expect(jobs == 0)
    }

    @Test func theWriterConnectionIsBackToItsSettingsAfterRowsAreAppended() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try ingestor(store).ingest(path: directory.write("fk.csv", Fixtures.validRows(3)))
        #expect(summary.rows == 3)
        let enforced = try store.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(enforced == 1)
        let checkpointPages = try store.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(checkpointPages == 1000)
        // Deleting the batch takes its jobs with it (ON DELETE CASCADE needs foreign keys on).
        try store.write { db in try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [summary.batch.id]) }
        let jobs = try store.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        #expect(jobs == 0)
    }

    @Test func everyRowIsStoredWithItsOwnValuesWhateverItsPlaceInAMultiRowInsert() throws {
        let store = try QueueStore(directory: directory.file("state"))
        var ingestor = ingestor(store)
        // Chunks of 70 rows: two 32-row statements then 6 rows one by one, three times over.
        ingestor.chunkSize = 70
        let count = 2 * QueueStore.rowsPerInsert + 6 + 140
        let summary = try ingestor.ingest(path: directory.write("many.csv", Fixtures.validRows(count)))
        #expect(summary.rows == count)
        var stored: [(row: Int, line: Int, name: String?)] = []
        try store.forEachJob(batchID: summary.batch.id) { stored.append(($0.row, $0.line, $0.fields["first_name"])) }
        #expect(stored.map(\.row) == Array(1...count))
        #expect(stored.map(\.line) == Array(2...(count + 1)))
        #expect(stored.map(\.name) == (1...count).map { "Person\($0)" })
        // The batch id, bound once a statement, is on every row.
        let named = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE batch_id = ?", arguments: [summary.batch.id])
        }
        #expect(named == count)
    }

    @Test func aChunkThatFailsMidwayLeavesNoneOfItsRowsAndTheQueueWritable() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let identity = BatchIdentity(sha256: "c0ffee", provider: "octopush", mode: "create", account: "octopush@test")
        guard
            case .started(let id) = try store.beginIngest(
                identity: identity, fileName: "c.csv", filePath: "/c.csv", owner: WorkerIdentity())
        else {
            Issue.record("a new identity must start an ingest")
            return
        }
        func job(_ row: Int) -> NewJob { NewJob(row: row, line: row + 1, state: .queued, fields: "[\"\(row)\"]") }
        try store.appendJobs(batchID: id, [job(1)])
        // Row 1 again amid rows 2...40: the first 32-row statement hits the stored row 1 midway.
        #expect(throws: (any Error).self) {
            try store.appendJobs(batchID: id, (2...20).map(job) + [job(1)] + (21...40).map(job))
        }
        let afterFailure = try store.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        #expect(afterFailure == 1)
        try store.appendJobs(batchID: id, [job(2)])
        let afterRetry = try store.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        #expect(afterRetry == 2)
    }

    @Test func theMultiRowInsertNeedsNoStatementJournal() throws {
        let store = try QueueStore(directory: directory.file("state"))
        // A constraint that aborts the statement (`Halt`/`HaltIfNull` with P2 = 2, OE_Abort) makes
        // SQLite copy every page the statement changes into a statement journal first; `OR FAIL`
        // (P2 = 3) does not.
        let parameters = QueueStore.parameterCount(rows: QueueStore.rowsPerInsert)
        let program = try store.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN " + QueueStore.insertManyJobsSQL,
                arguments: StatementArguments(Array(repeating: DatabaseValue.null, count: parameters)))
        }
        let onConstraint = program.filter {
            ["Halt", "HaltIfNull"].contains($0["opcode"] as String) && ($0["p1"] as Int) != 0
        }
        #expect(!onConstraint.isEmpty)
        #expect(onConstraint.allSatisfy { ($0["p2"] as Int) == 3 })
    }
}

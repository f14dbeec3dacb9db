import Foundation
import SubImportCSV
import Testing

@testable import SubImport

/// Hostile CSV files: records over the size limit, huge headers, files without a header row.
/// Nothing quotes more than a short prefix of the input, and never a password.
@Suite struct HostileInputTests {
    let directory = TestDirectory()

    func ingest(_ path: String) throws -> (IngestSummary, QueueStore) {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: path)
        return (summary, store)
    }

    /// The reason of the `unreadableFile` error `body` throws.
    func unreadableReason(_ body: () throws -> Void) -> String? {
        do { try body() } catch SubImportError.unreadableFile(_, let reason) { return reason } catch { return nil }
        return nil
    }

    @Test func aRowOverTheLimitIsInvalidAndTheOthersAreQueued() throws {
        let hugeCompany = String(repeating: "Ω", count: 40_000)  // 80,000 bytes
        let file = directory.write(
            "long-row.csv",
            """
            first_name,last_name,password,company_name
            Marie,Curie,radium1898,Sorbonne
            Pierre,Curie,polonium1898,"\(hugeCompany)"
            Irene,Joliot,artificial1934,
            """)
        let (summary, store) = try ingest(file)
        #expect(summary.rows == 3)
        #expect(summary.toSend == 2)
        #expect(summary.invalid == 1)
        var invalid: [Int: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) {
            if $0.state == .invalid { invalid[$0.row] = $0.errorMessage }
        }
        #expect(
            invalid == [
                2:
                    "line 3: column 4: record longer than 65536 bytes, the most a record may hold; its cells were not read"
            ])
        #expect(try store.storedRow(batchID: summary.batch.id, row: 2)?.secret == nil)
    }

    @Test func aLongRowUnderTheLimitIsStoredWhole() throws {
        // 60,000 bytes of company name: invalid (over 100 characters) but stored as read, so the
        // insert's text buffer grows in the middle of a row without losing the values bound before.
        let company = String(repeating: "c", count: 60_000)
        let file = directory.write(
            "long-company.csv", "first_name,last_name,password,company_name\nMarie,Curie,radium1898,\(company)\n")
        let (summary, store) = try ingest(file)
        #expect(summary.invalid == 1)
        var stored: JobRecord?
        try store.forEachJob(batchID: summary.batch.id) { stored = $0 }
        #expect(stored?.fields["company_name"] == company)
        #expect(stored?.fields["first_name"] == "Marie")
        #expect(stored?.errorMessage == "company_name: must be at most 100 characters (got 60000)")
    }

    @Test func aHeaderOverTheLimitMakesTheFileUnreadableWithAShortMessage() throws {
        let header = "first_name,last_name,password," + String(repeating: "x", count: 3 << 20)
        let file = directory.write("huge-header.csv", header + "\nMarie,Curie,radium1898,\n")
        let reason = unreadableReason { _ = try ingest(file) }
        #expect(
            reason
                == "header row (line 1): column 4: record longer than 65536 bytes, the most a record may hold; its cells were not read"
        )
    }

    @Test func aFileWithoutAHeaderRowNeverQuotesItsFirstRow() throws {
        let file = directory.write(
            "no-header.csv", "Marie,Curie,Sup3rSecretPassw0rd,Sorbonne\nPierre,Curie,polonium1898,\n")
        let reason = try #require(unreadableReason { _ = try ingest(file) })
        #expect(
            reason
                == "line 1: none of the header row's 4 cells is a known column name; is the header row missing? (expected columns such as first_name, last_name, password, company_name)"
        )
        #expect(!reason.contains("Sup3rSecret"))
    }

    @Test func headerCellsQuotedInMessagesAreCutAndEscaped() throws {
        let long = String(repeating: "y", count: 5_000)
        let file = directory.write("missing.csv", "first_name,\(long),bad\u{1B}[31mcell\nMarie,x,y\n")
        let reason = try #require(unreadableReason { _ = try ingest(file) })
        #expect(reason.hasPrefix("line 1: missing required columns last_name, password (header has: first_name, yyyy"))
        #expect(reason.count < InputQuote.maxMessageCharacters + 100)
        #expect(reason.contains("bad\\u{1b}[31mcell"))
        #expect(!reason.contains("\u{1B}"))
    }

    @Test func messagesQuotingCellsAreCutToAShortPrefix() throws {
        #expect(InputQuote.value(String(repeating: "z", count: 100)) == String(repeating: "z", count: 40) + "…")
        let cells = (1...100).map { "column\($0)" }
        let list = InputQuote.list(cells)
        #expect(list.count <= InputQuote.maxMessageCharacters + 20)
        #expect(list.hasSuffix("more)"))
    }
}

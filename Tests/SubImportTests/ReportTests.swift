import Foundation
import Testing

@testable import SubImport

@Suite struct ReportTests {
    let directory = TestDirectory()

    /// `watch` reports a batch once it settles, once: a written complete report marks it.
    @Test func aSettledBatchAwaitsItsReportUntilOneIsWritten() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let ingestor = Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
        // Only invalid rows: the batch is settled as soon as it is queued.
        let settled = try ingestor.ingest(path: directory.write("bad.csv", "first_name,last_name,password\nA,B,c\n"))
        let pending = try ingestor.ingest(path: directory.write("good.csv", Fixtures.validRows(2)))
        #expect(settled.batch.state == .settled && pending.batch.state == .ready)
        #expect(try store.batchesAwaitingReport(account: "a") == [settled.batch.id])
        #expect(try store.batchesAwaitingReport(account: "other").isEmpty)
        let writer = ReportWriter(store: store, directory: directory.file("reports"))
        _ = try writer.write(batchID: pending.batch.id)
        _ = try writer.write(batchID: settled.batch.id)
        #expect(try store.batchesAwaitingReport(account: "a").isEmpty)
    }

    /// Many reports written together: every one is written and recorded, and one that cannot be
    /// written (an unknown batch) fails alone.
    @Test func reportsWrittenTogetherAreEachWrittenAndRecorded() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let ingestor = Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
        let settled = try (0..<20).map { index in
            try ingestor.ingest(
                path: directory.write("bad\(index).csv", "first_name,last_name,password\nA\(index),B,c\n")
            )
            .batch.id
        }
        let writer = ReportWriter(store: store, directory: directory.file("reports"))
        let results = writer.write(batchIDs: settled + ["nosuchbatch"], parallel: 4)
        #expect(results.count == 21)
        for (batchID, result) in zip(settled, results) {
            let report = try result.get()
            #expect(report.csvPath.hasSuffix(".\(batchID).csv") && report.counts["invalid"] == 1)
            #expect(FileManager.default.fileExists(atPath: report.jsonPath))
        }
        #expect(throws: SubImportError.self) { try results[20].get() }
        #expect(try store.batchesAwaitingReport(account: "a").isEmpty, "every written report is recorded")
    }

    @Test func cellsAreQuotedAndDefusedAsSpreadsheetsNeed() {
        let expected: [(String, String)] = [
            ("plain", "plain"), ("", ""), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=SUM(A1)", "'=SUM(A1)"), ("+33 6", "'+33 6"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
            ("l1\nl2", "\"l1\nl2\""), ("é, ü", "\"é, ü\""), ("東京", "東京"), ("=a,b", "\"'=a,b\""),
            ("\r\n", "\"'\r\n\""), ("a\"", "\"a\"\"\""),
        ]
        for (value, cell) in expected {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            SpreadsheetCell.appendCSV(value, to: &bytes)
            #expect(bytes == [UInt8(ascii: "x")] + Array(cell.utf8), "\(value)")
            #expect(SpreadsheetCell.csv(value) == cell)
        }
    }

    @Test func reportHoldsEveryRowOnceIsPrivateAndDefusesFormulas() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let csv = """
            first_name,last_name,password,company_name
            Leonardo,Da Vinci,secret1,"=HYPERLINK(""http://x"")"
            Jo,Smith,secret2,+33 Company
            Marie,Curie,radium1898,"-minus, with comma"
            Marie,Curie,radium1898,"-minus, with comma"
            Alan,Turing,enigma1912,@handle
            """
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("people.csv", csv))
        let report = try ReportWriter(store: store, directory: directory.file("reports")).write(
            batchID: summary.batch.id)
        #expect(report.csvPath.hasSuffix("/people.\(summary.batch.id).csv"))
        #expect(mode(of: report.csvPath) & 0o777 == 0o600)
        #expect(mode(of: report.jsonPath) & 0o777 == 0o600)
        #expect(!report.complete)
        let text = try String(contentsOfFile: report.csvPath, encoding: .utf8)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.first == Substring(ReportWriter.csvColumns.joined(separator: ",")))
        #expect(lines.count == 6)
        #expect(text.contains(#"'=HYPERLINK(""http://x"")"#))
        #expect(text.contains("'+33 Company"))
        #expect(text.contains(#""'-minus, with comma""#))
        #expect(text.contains("'@handle"))
        #expect(!text.contains("secret1"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.jsonPath)))
        let object = try #require(json as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.map { $0["row"] as? Int } == [1, 2, 3, 4, 5])
        #expect(rows[0]["company_name"] as? String == #"=HYPERLINK("http://x")"#, "JSON keeps the raw value")
        #expect(rows[1]["status"] as? String == "invalid")
        #expect(rows[3]["status"] as? String == "duplicate")
        let summaryObject = try #require(object["summary"] as? [String: Any])
        #expect(summaryObject["sha256"] as? String == summary.batch.sha256)
        let counts = try #require(summaryObject["counts"] as? [String: Int])
        #expect(counts["pending"] == 3)
        #expect(counts["invalid"] == 1)
        #expect(counts["duplicate"] == 1)
        // Rewriting leaves no temporary files behind.
        _ = try ReportWriter(store: store, directory: directory.file("reports")).write(batchID: summary.batch.id)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("reports"))
        #expect(files.sorted() == ["people.\(summary.batch.id).csv", "people.\(summary.batch.id).json"])
    }

    @Test func jsonTextRoundTripsAwkwardStrings() throws {
        let values = ["plain", "quote \" back\\slash", "new\nline\ttab\r", "\u{01}ctl", "émoji 🎉"]
        for value in values {
            let array = JSONText.array([nil, value, nil])
            #expect(JSONText.namedValues(array, names: ["a", "k"]) == ["k": value])
            #expect(JSONText.quote(value).utf8.count >= value.utf8.count + 2)
        }
    }

    /// Arrays without escapes are read without Foundation; they must read exactly as
    /// `JSONSerialization` reads them, and anything else must be left to it.
    @Test func plainArraysReadAsJSONSerializationReadsThem() throws {
        let plain = [
            "[]", " [ ] ", #"["a"]"#, #"["a",null,"b"]"#, "[null]", #"[ "x" , null , "" ]"#,
            "[\"émoji 🎉\",\"日本\",\"\u{7F}\"]", "[\n\"spaces  around\"\r\n]",
        ]
        for text in plain {
            let read = try #require(JSONText.plainArray(text), "read without Foundation: \(text)")
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])
            #expect(read.count == expected.count)
            for (value, other) in zip(read, expected) { #expect(value == (other as? String)) }
        }
        let leftToTheFullReader = [
            #"["a\"b"]"#, #"["\u0041"]"#, "[\"raw\ttab\"]", "[1]", #"["a",]"#, #"["a""#, #"["a"] x"#,
            "[nul]", #"{"a":"b"}"#, "", #"[["a"]]"#, "[true]",
        ]
        for text in leftToTheFullReader { #expect(JSONText.plainArray(text) == nil, "\(text)") }
        #expect(JSONText.namedValues(#"["a\"b",null,"c"]"#, names: ["x", "y", "z"]) == ["x": "a\"b", "z": "c"])
        #expect(JSONText.stringArray(#"["a",null,"b"]"#) == ["a", "b"])
    }
}

@Suite struct CompactFieldsTests {
    @Test func fieldsAreStoredAsAnArrayNamedByTheBatchColumns() throws {
        let directory = TestDirectory()
        let store = try QueueStore(directory: directory.file("state"))
        let csv = "first_name,last_name,password,email\nLeonardo,\"Da \"\"V\"\" Vinci\",secret1,leo@example.com\n"
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("one.csv", csv))
        let batch = try #require(try store.batch(id: summary.batch.id))
        #expect(batch.columns.first == "first_name")
        #expect(batch.columns.contains("email_for_inbounds"))
        let stored = try #require(try store.storedRow(batchID: batch.id, row: 1))
        #expect(stored.fields.hasPrefix(#"["Leonardo","Da \"V\" Vinci""#))
        #expect(!stored.fields.contains("first_name"))
        var fields: [String: String] = [:]
        try store.forEachJob(batchID: batch.id) { fields = $0.fields }
        #expect(
            fields == [
                "first_name": "Leonardo", "last_name": #"Da "V" Vinci"#, "email_for_inbounds": "leo@example.com",
            ])
        let claimed = try #require(
            try store.claim(scope: WorkScope(account: "a"), owner: WorkerIdentity(), leaseSeconds: 60).first)
        #expect(claimed.fields == fields)
    }
}

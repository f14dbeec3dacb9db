import Foundation

/// Where a batch's report was written, and its counts.
public struct WrittenReport: Sendable {
    public var csvPath: String
    public var jsonPath: String
    public var counts: [String: Int]
    /// Every row is settled (no `pending` rows).
    public var complete: Bool
}

/// Writes `<reports>/<file-stem>.<batch-id>.csv` and `.json` from the queue: every data row of
/// the input exactly once, in row order; atomically, with mode 0600 (they hold API keys), never
/// through a link (a file planted at the report's name is replaced, not written through). A stem
/// too long for the file system's name limit is shortened; the batch id is always kept.
public struct ReportWriter: Sendable {
    public static let csvColumns = [
        "row", "status", "first_name", "last_name", "company_name", "email", "api_login", "api_key", "attempts",
        "error_code", "error_message", "note",
    ]

    public let store: any JobQueue
    public let directory: String

    public init(store: any JobQueue, directory: String) {
        self.store = store
        self.directory = directory
    }

    /// Writes (or rewrites) both report files of `batchID`. A settled batch's report is then
    /// recorded as written (`QueueStore.batchesAwaitingReport`).
    public func write(batchID: String) throws -> WrittenReport {
        let (report, settledAt) = try writeFiles(batchID: batchID)
        AtomicFileWriter.syncFolder(directory)
        if let settledAt { try store.markReported([(batchID, settledAt)]) }
        return report
    }

    /// Writes the reports of `batchIDs` together, as `write(batchID:)` does each, but up to
    /// `parallel` at a time, with one fsync of the folder for all the renames and one
    /// transaction recording every settled batch as reported (a burst of small batches costs
    /// a few fsyncs, not four a batch). A report that cannot be written fails alone; the
    /// results are in the order of `batchIDs`.
    public func write(batchIDs: [String], parallel: Int = 8) -> [Result<WrittenReport, any Error>] {
        let results = ParallelResults<(WrittenReport, Timestamp?)>(count: batchIDs.count)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(parallel, batchIDs.count)) {
            group.enter()
            let thread = Thread {
                while let index = results.claimIndex() {
                    results.set(index, Result { try self.writeFiles(batchID: batchIDs[index]) })
                }
                group.leave()
            }
            thread.name = "subimport.reports"
            thread.start()
        }
        group.wait()
        AtomicFileWriter.syncFolder(directory)
        var written = results.all
        let settled = zip(batchIDs, written).compactMap { id, result in
            (try? result.get()).flatMap { report in report.1.map { (id, $0) } }
        }
        if !settled.isEmpty {
            do {
                try store.markReported(settled)
            } catch {
                written = written.map { result in result.flatMap { _ in .failure(error) } }
            }
        }
        return written.map { $0.map(\.0) }
    }

    /// Writes both report files of `batchID` (each fsynced and renamed into place; the folder
    /// is not fsynced). Returns the report and, for a settled batch, when it settled.
    private func writeFiles(batchID: String) throws -> (WrittenReport, Timestamp?) {
        guard let batch = try store.batch(id: batchID) else { throw SubImportError.unknownBatch(batchID) }
        try FilePermissions.makePrivateDirectory(directory)
        // A long input name is shortened so that the report names fit the file system's limit,
        // keeping the batch id whole.
        let name = FileNameLimit.fit(
            batch.fileStem, ".\(batch.id)", limit: FileNameLimit.maximum(in: directory), reserve: ".json".utf8.count)
        let base = (directory as NSString).appendingPathComponent(name)
        let counts = try store.statusCounts(batchID: batch.id)
        let traffic = try store.traffic(batchID: batch.id)
        let csv = try AtomicFileWriter(path: base + ".csv")
        let json = try AtomicFileWriter(path: base + ".json")
        try csv.write(Self.csvColumns.joined(separator: ",") + "\r\n")
        try json.write(
            "{\n  \"summary\": \(summaryJSON(batch: batch, counts: counts, traffic: traffic)),\n  \"rows\": [")
        // Each row is built as bytes in two reused buffers: no string per cell.
        let keys = Self.csvColumns.map { JSONText.quotedBytes($0) + Array(": ".utf8) }
        // Which columns are numbers in the JSON, by position (no string hashed per cell).
        let numeric = Self.csvColumns.map { $0 == "row" || $0 == "attempts" }
        var line: [UInt8] = []
        var object: [UInt8] = []
        var first = true
        try store.forEachJob(batchID: batch.id) { job in
            line.removeAll(keepingCapacity: true)
            object.removeAll(keepingCapacity: true)
            object.append(contentsOf: (first ? "\n    {" : ",\n    {").utf8)
            for (index, value) in Self.cells(of: job).enumerated() {
                if index > 0 {
                    line.append(UInt8(ascii: ","))
                    object.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
                }
                SpreadsheetCell.appendCSV(value ?? "", to: &line)
                object.append(contentsOf: keys[index])
                if numeric[index] {
                    object.append(contentsOf: (value ?? "0").utf8)
                } else if let value {
                    JSONText.appendQuoted(value, to: &object)
                } else {
                    object.append(contentsOf: "null".utf8)
                }
            }
            line.append(contentsOf: [0x0D, 0x0A])
            object.append(UInt8(ascii: "}"))
            try csv.write(bytes: line)
            try json.write(bytes: object)
            first = false
        }
        try json.write("\n  ]\n}\n")
        try csv.commit(syncingFolder: false)
        try json.commit(syncingFolder: false)
        let report = WrittenReport(
            csvPath: base + ".csv", jsonPath: base + ".json", counts: counts, complete: (counts["pending"] ?? 0) == 0)
        return (report, batch.state == .settled ? batch.finishedAt ?? now() : nil)
    }

    /// Row counts per report status as a JSON object, every status present, in the order
    /// summaries list them (the report summary and `status --json` share it).
    public static func countsJSON(_ counts: [String: Int]) -> String {
        "{" + JobState.reportStatuses.map { "\(JSONText.quote($0)): \(counts[$0] ?? 0)" }.joined(separator: ", ") + "}"
    }

    /// Row counts per report status as text for people, non-zero ones only, in the order
    /// summaries list them: `3 created, 1 failed`.
    public static func countsText(_ counts: [String: Int]) -> String {
        JobState.reportStatuses.compactMap { status in
            (counts[status] ?? 0) > 0 ? "\(counts[status]!) \(status)" : nil
        }.joined(separator: ", ")
    }

    /// The report cells of one job, in `csvColumns` order (nil = empty).
    static func cells(of job: JobRecord) -> [String?] {
        [
            String(job.row), job.state.reportStatus, job.fields["first_name"] ?? job.fields["firstname"],
            job.fields["last_name"] ?? job.fields["lastname"], job.fields["company_name"],
            job.fields["email"] ?? job.fields["email_for_inbounds"], job.apiLogin, job.apiKey, String(job.attempts),
            job.errorCode, job.errorMessage, job.note,
        ]
    }

    private func summaryJSON(batch: Batch, counts: [String: Int], traffic: BatchTraffic) -> String {
        // A format style, not an `ISO8601DateFormatter` (whose every creation loads ICU's
        // calendar): same text, `2026-11-30T11:35:00Z`.
        func date(_ value: Timestamp?) -> String {
            value.map { JSONText.quote(Date(timeIntervalSince1970: $0).formatted(.iso8601)) } ?? "null"
        }
        let duration: String
        if let started = batch.startedAt {
            duration = Self.milliseconds((batch.finishedAt ?? now()) - started)
        } else {
            duration = "0"
        }
        let fields: [(String, String)] = [
            ("batch_id", JSONText.quote(batch.id)), ("file", JSONText.quote(batch.fileName)),
            ("sha256", JSONText.quote(batch.sha256)), ("provider", JSONText.quote(batch.provider)),
            ("mode", JSONText.quote(batch.mode)), ("encoding", JSONText.quote(batch.encoding)),
            ("notes", JSONText.quote(batch.notes)), ("rows", String(batch.totalRows)),
            ("complete", (counts["pending"] ?? 0) == 0 ? "true" : "false"), ("started", date(batch.startedAt)),
            ("finished", date(batch.finishedAt)), ("counts", Self.countsJSON(counts)), ("duration_seconds", duration),
            ("requests", String(traffic.requests)),
            ("achieved_rate", Self.milliseconds(traffic.achievedRate)),
        ]
        return "{" + fields.map { "\(JSONText.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// `value` with three decimals, as `String(format: "%.3f")` writes it (without its cost).
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let thousandths = Int((abs(value) * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return (value < 0 && thousandths > 0 ? "-" : "") + "\(thousandths / 1000)."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

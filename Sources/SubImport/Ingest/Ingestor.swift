import Foundation
import SubImportCSV

/// Reads a CSV file into the queue: one batch, one job per data row.
///
/// Guarantees: the file is streamed (constant memory); every data row becomes exactly one job
/// (`queued`, `invalid` with its reason, or `duplicate` of an earlier identical row); nothing is
/// sent before the whole file is queued; the same content for the same account is never queued
/// twice (its existing batch is returned instead); an ingest interrupted by a crash is redone
/// from the start on the next run.
public struct Ingestor: Sendable {
    public let store: any JobQueue
    public let provider: any ProviderDefinition
    public let mode: ImportMode
    public let account: String
    /// Values of empty or absent cells, by canonical column name.
    public let defaults: [String: String]
    /// Rows written per transaction, at most.
    public var chunkSize = 2_000
    /// Bytes of row text per transaction, at most (more rows than this wait for the next one),
    /// so that chunks of long rows stay small: at most five chunks are in memory (one being
    /// filled, two waiting, one being written, one written waiting to be reused).
    public var maxChunkBytes = 1 << 20

    public init(
        store: any JobQueue, provider: any ProviderDefinition, mode: ImportMode, account: String,
        defaults: [String: String] = [:]
    ) {
        self.store = store
        self.provider = provider
        self.mode = mode
        self.account = account
        self.defaults = defaults
    }

    /// Ingests the file at `path` (a link is followed: the user named the file). Throws
    /// `unreadableFile` when the file cannot be read as CSV at all (missing, not a regular file,
    /// binary, no header, missing required columns); no batch is left behind then.
    public func ingest(path: String, progress: ((Int) -> Void)? = nil) throws -> IngestSummary {
        let file: InputFile
        do { file = try InputFile(opening: path, followingLinks: true) } catch {
            throw SubImportError.unreadableFile(path: path, reason: error.description)
        }
        return try ingest(file, progress: progress)
    }

    /// Ingests the file already open as `file`: its hash and its rows are read from that one
    /// descriptor, never by re-opening `file.path` (which names the batch's source). Same
    /// guarantees and errors as `ingest(path:)`. `owner` names who ingests (default: a new
    /// identity of this process): an earlier ingest of the same content left half done by the
    /// same owner, or by a process of this host that is gone, is taken over.
    public func ingest(_ file: InputFile, owner: WorkerIdentity = WorkerIdentity(), progress: ((Int) -> Void)? = nil)
        throws -> IngestSummary
    {
        let path = file.path
        let schema = try provider.columns(mode: mode).withDefaults(defaults)
        var textCheck = BinaryContentCheck()
        let sha = try Digest.sha256Hex(ofDescriptor: file.descriptor, path: path) { textCheck.inspect($0) }
        if textCheck.startsAsUTF16 {
            throw SubImportError.unreadableFile(
                path: path,
                reason: "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 CSV")
        }
        if let line = textCheck.nulLine(inDescriptor: file.descriptor) {
            throw SubImportError.unreadableFile(
                path: path, reason: "line \(line): NUL byte found; this is a binary file, not CSV text")
        }
        let identity = BatchIdentity(
            sha256: sha, provider: provider.name, mode: mode.rawValue, account: account,
            defaults: defaults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        let fileName = (path as NSString).lastPathComponent
        let batchID: String
        switch try store.beginIngest(
            identity: identity, fileName: fileName, filePath: path.absolutePath, owner: owner)
        {
        case .exists(let existing):
            let counts = try store.statusCounts(batchID: existing.id)
            return IngestSummary(
                batch: existing, alreadyKnown: true, rows: existing.totalRows, invalid: counts["invalid"] ?? 0,
                duplicates: counts["duplicate"] ?? 0, toSend: existing.unsettled, notes: [])
        case .started(let id):
            batchID = id
        }
        do {
            let summary = try readRows(
                path: path, descriptor: file.descriptor, fileSize: Int(file.signature.size), schema: schema,
                batchID: batchID, progress: progress)
            return summary
        } catch {
            try? store.abandonIngest(batchID: batchID)
            throw error
        }
    }

    /// Makes `job` an `invalid` row, `code` and `message` (cut to the report's length) saying why.
    private static func markInvalid(_ job: inout NewJob, code: String, message: String) {
        job.state = .invalid
        job.errorCode = code
        job.errorMessage = InputQuote.cut(message, to: InputQuote.maxMessageCharacters)
    }

    private func readRows(
        path: String, descriptor: Int32, fileSize: Int, schema: ColumnSchema, batchID: String,
        progress: ((Int) -> Void)?
    ) throws -> IngestSummary {
        let rows = try DataRowReader(path: path, schema: schema, descriptor: descriptor)
        let writer = ChunkWriter(store: store, batchID: batchID)
        // On an error, let the writer drain before the caller abandons the batch.
        var finished = false
        defer { if !finished { _ = try? writer.finish() } }
        var pending: [NewJob] = []
        var hashes: [UInt64] = []
        pending.reserveCapacity(chunkSize)
        hashes.reserveCapacity(chunkSize)
        var pendingBytes = 0
        let encoder = FieldsEncoder()
        let contentHash = RowContentHash()
        var rowNumber = 0
        var invalid = 0
        while let data = try rows.next() {
            rowNumber = data.row
            // Built in place in the chunk (a row's job is never copied, so its strings are
            // never retained and released on the way).
            pending.append(NewJob(row: data.row, line: data.line, state: .queued, fields: "[]"))
            let slot = pending.count - 1
            // Consumed: the row's cells are then held by `row` alone, and go back to the reader.
            switch (consume data).content {
            case .failure(let error):
                Self.markInvalid(&pending[slot], code: error.code, message: error.message)
                invalid += 1
            case .success(var row):
                defer { rows.recycle(&row.cells) }
                pending[slot].fields = encoder.encode(row.cells)
                if let problem = provider.validate(row, mode: mode) {
                    Self.markInvalid(&pending[slot], code: "invalid", message: problem.description)
                    invalid += 1
                } else {
                    // Queued with its password; the writer marks it a duplicate if it is one.
                    pending[slot].secret = row.secret
                }
            }
            pending.withUnsafeBufferPointer { jobs in
                let job = jobs.baseAddress! + slot
                pendingBytes += job.pointee.fields.utf8.count + (job.pointee.secret?.utf8.count ?? 0)
                hashes.append(
                    job.pointee.state == .queued
                        ? contentHash.hash(fields: job.pointee.fields, secret: job.pointee.secret) : 0)
            }
            if pending.count >= chunkSize || pendingBytes >= maxChunkBytes {
                // With the first chunk, how many rows the file has, from its size and the bytes
                // read per row so far: the duplicate map is then made that large at once.
                let expectedRows =
                    rowNumber == pending.count
                    ? Int(Double(fileSize) * Double(rowNumber) / Double(max(1, rows.reader.bytesConsumed))) : 0
                pendingBytes = 0
                pending = try writer.submit(pending, hashes: hashes, expectedRows: expectedRows)
                hashes = []
                pending.reserveCapacity(chunkSize)
                hashes.reserveCapacity(chunkSize)
                progress?(rowNumber)
            }
        }
        _ = try writer.submit(pending, hashes: hashes)
        finished = true
        let (toSend, duplicates) = try writer.finish()
        progress?(rowNumber)
        var notes: [String] = []
        if rows.reader.encoding == .windows1252 {
            notes.append(
                "decoded as Windows-1252 (not valid UTF-8\(rows.reader.encodingSwitchLine.map { " from line \($0)" } ?? ""))"
            )
        }
        if rows.reader.delimiter != UInt8(ascii: ",") {
            notes.append(
                "delimiter \(rows.reader.delimiter == UInt8(ascii: "\t") ? "tab" : "'\(Character(UnicodeScalar(rows.reader.delimiter)))'")"
            )
        }
        if !rows.mapping.ignored.isEmpty {
            notes.append("ignored columns: \(InputQuote.list(rows.mapping.ignored))")
        }
        try store.finishIngest(
            batchID: batchID, totalRows: rowNumber, toSend: toSend, encoding: rows.reader.encoding.rawValue,
            notes: notes.joined(separator: "; "), columns: rows.mapping.names)
        guard let batch = try store.batch(id: batchID) else { throw SubImportError.unknownBatch(batchID) }
        return IngestSummary(
            batch: batch, alreadyKnown: false, rows: rowNumber, invalid: invalid, duplicates: duplicates,
            toSend: toSend,
            notes: notes)
    }
}

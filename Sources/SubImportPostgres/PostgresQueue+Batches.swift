import PostgresNIO
import SubImport

extension PostgresQueue {
    /// The batch with this id (or unique id prefix).
    public func batch(id: String) throws -> Batch? {
        try read { session in
            if let exact = try session.query("SELECT * FROM batch WHERE id = \(id)").first {
                return try Batch(postgres: exact)
            }
            let matches = try session.query("SELECT * FROM batch WHERE starts_with(id, \(id)) LIMIT 2")
            return matches.count == 1 ? try Batch(postgres: matches[0]) : nil
        }
    }

    /// Every batch, oldest first; pruned ones (identities kept after `prune`) only with `includingPruned`.
    public func batches(includingPruned: Bool) throws -> [Batch] {
        try read { session in
            try session.query(
                includingPruned
                    ? "SELECT * FROM batch ORDER BY created_at, id"
                    : "SELECT * FROM batch WHERE state <> 'pruned' ORDER BY created_at, id"
            ).map { try Batch(postgres: $0) }
        }
    }

    /// How many batches `prune` has reduced to their identity.
    public func prunedBatchCount() throws -> Int {
        try read { session in
            try session.query("SELECT COUNT(*) FROM batch WHERE state = 'pruned'").first?.decode(Int.self) ?? 0
        }
    }

    /// Starts ingesting a batch, in one transaction: creates it (`INSERT … ON CONFLICT DO
    /// NOTHING`, so two processes reading the same content at once create it once) in state
    /// `ingesting` owned by `owner`, or empties an earlier `ingesting` batch of the same identity
    /// whose process is gone (`ingestIsAbandoned`: dead on this host, or silent for
    /// `abandonedIngestAfter` seconds on another). Throws when another
    /// live process is reading the same content for the same account right now.
    public func beginIngest(identity: BatchIdentity, fileName: String, filePath: String, owner: WorkerIdentity) throws
        -> IngestStart
    {
        let id = identity.batchID
        let time = now()
        return try write { session in
            let inserted = try session.query(
                """
                INSERT INTO batch (id, identity, file_name, file_path, sha256, provider, mode, account, state,
                                   ingest_owner, ingest_seen_at, created_at)
                VALUES (\(id), \(identity.key), \(fileName), \(filePath), \(identity.sha256),
                        \(identity.provider), \(identity.mode), \(identity.account), 'ingesting', \(owner.description),
                        \(time), \(time))
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """)
            if !inserted.isEmpty { return .started(batchID: id) }
            // The batch exists (it may have been committed by another process a moment ago).
            guard let row = try session.query("SELECT * FROM batch WHERE id = \(id) FOR UPDATE").first else {
                throw SubImportError.io("the queue at \(location): batch \(id) vanished while being created")
            }
            let existing = try Batch(postgres: row)
            if existing.state != .ingesting { return .exists(existing) }
            let fields = row.makeRandomAccess()
            let holder = try fields.value("ingest_owner", as: String?.self)
            let seenAt = try fields.value("ingest_seen_at", as: Double?.self) ?? 0
            if let holder, holder != owner.description, !Self.ingestIsAbandoned(by: holder, seenAt: seenAt, now: time) {
                throw SubImportError.unreadableFile(
                    path: filePath,
                    reason:
                        "this content is being queued right now by another process (\(holder)); try again when it is done"
                )
            }
            guard let ids = try PostgresJobIDs.of(id, session) else { return .started(batchID: id) }
            try session.execute("DELETE FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)")
            try session.execute("DELETE FROM batch_count WHERE seq = \(ids.seq)")
            try session.execute(
                """
                UPDATE batch SET state = 'ingesting', file_name = \(fileName), file_path = \(filePath),
                    ingest_owner = \(owner.description), ingest_seen_at = \(time), total_rows = 0, unsettled = 0
                WHERE id = \(id)
                """)
            return .started(batchID: id)
        }
    }

    /// Seconds without rows written after which an ingest of another host is taken as abandoned
    /// by `beginIngest` (its process cannot be checked from here). Compared with this host's
    /// clock: the hosts' clocks must agree to well within it.
    static let abandonedIngestAfter: Double = 600

    /// Whether the ingest that `holder` started is certainly over: its process is gone (known
    /// on its own host only), or it is on another host and wrote nothing since `seenAt` for
    /// `abandonedIngestAfter` seconds.
    static func ingestIsAbandoned(by holder: String, seenAt: Timestamp, now: Timestamp) -> Bool {
        if WorkerIdentity.isDead(owner: holder) { return true }
        let local = !holder.contains("@") || holder.hasSuffix("@" + WorkerIdentity.host)
        return !local && now - seenAt >= abandonedIngestAfter
    }

    /// Rows per `INSERT` of `appendJobs` (one statement of parameter arrays, `unnest`ed).
    static let rowsPerInsert = 5_000

    /// Appends ingested rows to a batch in one transaction, `rowsPerInsert` rows per statement
    /// (each column bound as one array). Throws `unknownBatch` (and writes nothing) when the batch
    /// is not in the queue. Records when the ingesting process last wrote (`abandonedIngestAfter`).
    public func appendJobs(batchID: String, _ jobs: [NewJob]) throws {
        guard !jobs.isEmpty else { return }
        let time = now()
        try write { session in
            // The batch row stays locked until the rows commit: it cannot be deleted under them.
            guard
                let seq = try session.query(
                    "UPDATE batch SET ingest_seen_at = \(time) WHERE id = \(batchID) RETURNING seq"
                ).first?.decode(Int64.self)
            else { throw SubImportError.unknownBatch(batchID) }
            let base = PostgresJobIDs(seq: seq).low
            var start = jobs.startIndex
            while start < jobs.endIndex {
                let chunk = jobs[start..<min(start + Self.rowsPerInsert, jobs.endIndex)]
                start = chunk.endIndex
                let rows = chunk.map { Int64($0.row) }
                let lines = chunk.map { Int64($0.line) }
                let states = PostgresTextArray(chunk.map { $0.state.rawValue })
                let fields = PostgresTextArray(chunk.map(\.fields))
                let secrets = PostgresTextArray(chunk.map(\.secret))
                let codes = PostgresTextArray(chunk.map(\.errorCode))
                let messages = PostgresTextArray(chunk.map(\.errorMessage))
                let notes = PostgresTextArray(chunk.map(\.note))
                try session.execute(
                    """
                    INSERT INTO job (id, batch_id, row, line, state, fields, secret, error_code, error_message, note,
                                     updated_at)
                    SELECT \(base)::bigint | r.row, \(batchID), r.row, r.line, r.state, r.fields, r.secret, r.code,
                           r.message, r.note, \(time)
                    FROM unnest(\(rows)::bigint[], \(lines)::bigint[], \(states)::text[], \(fields)::text[],
                                \(secrets)::text[], \(codes)::text[], \(messages)::text[], \(notes)::text[])
                         AS r(row, line, state, fields, secret, code, message, note)
                    """)
            }
        }
    }

    /// The stored fields and secret of one row of a batch (used to confirm a suspected duplicate).
    public func storedRow(batchID: String, row: Int) throws -> (fields: String, secret: String?)? {
        try read { session in
            guard let ids = try PostgresJobIDs.of(batchID, session),
                let found = try session.query("SELECT fields, secret FROM job WHERE id = \(ids.low | Int64(row))").first
            else { return nil }
            return try found.decode((String, String?).self)
        }
    }

    /// Finishes an ingest: the batch becomes `ready` (or `settled` when no row needs sending),
    /// and its rows are counted by state once; a large batch then has the `job` table analyzed.
    public func finishIngest(
        batchID: String, totalRows: Int, toSend: Int, encoding: String, notes: String, columns: [String]
    ) throws {
        let time = now()
        try write { session in
            try session.execute(
                """
                UPDATE batch SET state = \(toSend == 0 ? "settled" : "ready"), total_rows = \(totalRows),
                    unsettled = \(toSend), encoding = \(encoding), notes = \(notes), ingest_owner = NULL,
                    columns = \(JSONText.array(columns.map { Optional($0) })),
                    finished_at = \(toSend == 0 ? time : nil)
                WHERE id = \(batchID)
                """)
            if let ids = try PostgresJobIDs.of(batchID, session) { try PostgresBatchCounts.recount(session, ids: ids) }
        }
        if totalRows >= Self.rowsAnalyzedAfter {
            // Fresh statistics at once (autovacuum may take a minute): without them the planner
            // sorts every runnable row of the new batch for each claim instead of reading the
            // runnable index in order.
            try read { session in try session.execute("ANALYZE job") }
        }
    }

    /// Rows of an ingested batch past which `finishIngest` refreshes the planner's statistics.
    static let rowsAnalyzedAfter = 1_000

    /// Removes a batch whose ingest failed: nothing of it had been sent.
    public func abandonIngest(batchID: String) throws {
        try write { session in
            try session.execute("DELETE FROM batch WHERE id = \(batchID) AND state = 'ingesting'")
        }
    }

    /// Records that batch `batchID`'s source file moved from `oldPath` to `newPath` (`watch`
    /// archived it), so that `retry` finds it there. A batch read from elsewhere is left alone.
    public func relocateSource(batchID: String, from oldPath: String, to newPath: String) throws {
        try write { session in
            try session.execute(
                "UPDATE batch SET file_path = \(newPath) WHERE id = \(batchID) AND file_path = \(oldPath)")
        }
    }
}

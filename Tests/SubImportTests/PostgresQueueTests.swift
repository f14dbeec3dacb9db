import Dispatch
import Foundation
import Logging
import SubImportSandbox
import Testing

@testable import SubImport
@testable import SubImportPostgres

/// PostgreSQL-specific behaviour of `PostgresQueue` (the behaviour both stores share is the
/// contract suite's), on the test server (`PostgresTestDatabase`: skipped, saying why, without
/// one); each test gets a database of its own.
@Suite(PostgresTestDatabase.required)
struct PostgresQueueTests {
    let directory = TestDirectory()

    /// `count` rows of `Fixtures.validRows` ingested into `queue` for account `acct`.
    func ingest(_ count: Int, into queue: PostgresQueue, name: String = "q.csv") throws -> String {
        try Ingestor(store: queue, provider: OctopushProvider(), mode: .create, account: "acct")
            .ingest(path: directory.write(name, Fixtures.validRows(count))).batch.id
    }

    @Test func migrationsRunOnceWhenManyProcessesOpenTheQueueAtOnce() async throws {
        try await withDatabase { database in
            let opened = NSLock()
            nonisolated(unsafe) var failures: [String] = []
            nonisolated(unsafe) var queues: [PostgresQueue] = []
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                do {
                    let queue = try database.queue(directory: directory.file("state\(index)"))
                    opened.withLock { queues.append(queue) }
                } catch {
                    opened.withLock { failures.append("\(error)") }
                }
            }
            #expect(failures.isEmpty)
            #expect(queues.count == 4)
            let again = try database.queue(directory: directory.file("again"))
            #expect(try again.batches().isEmpty)
            let recorded = try database.admin { session in
                try session.query("SELECT version FROM subimport_migration ORDER BY version").map {
                    try $0.decode(Int.self)
                }
            }
            #expect(recorded == PostgresMigrations.all.map(\.version))
            for queue in queues + [again] { queue.close() }
            // A database migrated by a newer subimport is refused, not written with an older schema.
            _ = try database.admin { session in
                try session.execute(
                    "INSERT INTO subimport_migration (version, name, applied_at) VALUES (9999, 'later', 0)")
            }
            let refused = #expect(throws: SubImportError.self) { try database.queue(directory: directory.file("old")) }
            #expect(refused.map { "\($0)".contains("upgrade subimport") } == true)
        }
    }

    @Test func claimsOfManyThreadsOnTwoQueuesNeverHandOutAJobTwice() async throws {
        try await withDatabase { database in
            let first = try database.queue(directory: directory.file("a"))
            let second = try database.queue(directory: directory.file("b"))
            defer {
                first.close()
                second.close()
            }
            let batch = try ingest(300, into: first)
            let lock = NSLock()
            nonisolated(unsafe) var claims: [Int64] = []
            nonisolated(unsafe) var errors: [String] = []
            // Each job is claimed twice: its first attempt is retried at once, its second creates it,
            // so claims of retrying jobs and settlements to `retrying` run at the same time.
            DispatchQueue.concurrentPerform(iterations: 6) { index in
                let queue = index.isMultiple(of: 2) ? first : second
                let owner = WorkerIdentity()
                do {
                    while true {
                        let jobs = try queue.claim(
                            scope: WorkScope(account: "acct"), owner: owner, limit: 7, leaseSeconds: 60)
                        if jobs.isEmpty {
                            if try queue.outlook(scope: WorkScope(account: "acct")).unsettled == 0 { return }
                            continue
                        }
                        lock.withLock { claims += jobs.map(\.id) }
                        let entries = jobs.map { job in
                            SettlementEntry(
                                jobID: job.id, leaseOwner: owner.description,
                                job.attempts == 1
                                    ? .retry(
                                        at: now(), errorCode: nil, errorMessage: nil, note: nil, countsAsFailure: false,
                                        ambiguous: false)
                                    : .settle(
                                        .created, errorCode: nil, errorMessage: nil, note: nil, apiKey: "K\(job.row)"),
                                attempt: AttemptRecord(
                                    startedAt: now(), finishedAt: now(), failureClass: .created, httpStatus: 201,
                                    errorCode: nil, message: nil, worker: owner.description),
                                claimedAttempts: job.attempts)
                        }
                        let applied = try queue.settle(entries)
                        if applied.contains(false) { lock.withLock { errors.append("a held job was not settled") } }
                    }
                } catch {
                    lock.withLock { errors.append("\(error)") }
                }
            }
            #expect(errors.isEmpty)
            #expect(claims.count == 600)
            #expect(Set(claims).count == 300)
            #expect(try first.statusCounts(batchID: batch) == ["created": 300])
            #expect(try second.batch(id: batch)?.state == .settled)
            #expect(try first.traffic(batchID: batch).requests == 600)
            var secrets = 0
            try second.forEachJob(batchID: batch) { job in secrets += job.state == .created && job.attempts == 2 ? 1 : 0
            }
            #expect(secrets == 300)
            #expect(try first.storedRow(batchID: batch, row: 42)?.secret == nil)
        }
    }

    @Test func oneOfManyProcessesStartingTheSameContentAtOnceReadsIt() async throws {
        try await withDatabase { database in
            let queues = try (0..<2).map { try database.queue(directory: directory.file("state\($0)")) }
            defer { for queue in queues { queue.close() } }
            let identity = BatchIdentity(sha256: "same", provider: "octopush", mode: "create", account: "acct")
            let lock = NSLock()
            nonisolated(unsafe) var started = 0
            nonisolated(unsafe) var refused: [String] = []
            DispatchQueue.concurrentPerform(iterations: 6) { index in
                do {
                    let start = try queues[index % 2].beginIngest(
                        identity: identity, fileName: "f.csv", filePath: "/in/f.csv", owner: WorkerIdentity())
                    if case .started = start { lock.withLock { started += 1 } }
                } catch {
                    lock.withLock { refused.append("\(error)") }
                }
            }
            #expect(started == 1)
            #expect(refused.count == 5)
            #expect(refused.allSatisfy { $0.contains("being queued right now by another process") })
            #expect(try queues[1].batches().map(\.state) == [.ingesting])
        }
    }

    @Test func anIngestOfAnotherHostIsRedoneOnlyOnceItWroteNothingForLong() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let identity = BatchIdentity(sha256: "far", provider: "octopush", mode: "create", account: "acct")
            let elsewhere = "pid:1:7@not-\(WorkerIdentity.host)"
            // A process on another host starts reading the file and writes a row (its own queue
            // object stands for it here: only its identity names the other host).
            let far = try queue.beginIngest(
                identity: identity, fileName: "f.csv", filePath: "/in/f.csv", owner: WorkerIdentity())
            guard case .started(let batch) = far else {
                Issue.record("not started")
                return
            }
            _ = try database.admin {
                try $0.execute("UPDATE batch SET ingest_owner = \(elsewhere) WHERE id = \(batch)")
            }
            try queue.appendJobs(batchID: batch, [NewJob(row: 1, line: 2, state: .queued, fields: "[]", secret: "pw")])
            #expect(throws: SubImportError.self, "it wrote a moment ago: it is reading") {
                try queue.beginIngest(
                    identity: identity, fileName: "f.csv", filePath: "/in/f.csv", owner: WorkerIdentity())
            }
            _ = try database.admin { session in
                try session.execute(
                    "UPDATE batch SET ingest_seen_at = ingest_seen_at - \(PostgresQueue.abandonedIngestAfter + 1)")
            }
            let again = try queue.beginIngest(
                identity: identity, fileName: "f.csv", filePath: "/in/f.csv", owner: WorkerIdentity())
            guard case .started(batch) = again else {
                Issue.record("an ingest silent for long is not redone")
                return
            }
            #expect(try queue.storedRow(batchID: batch, row: 1) == nil, "the abandoned rows are gone")
        }
    }

    @Test func anAnswerHoldingANULCharacterIsRecorded() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let batch = try ingest(1, into: queue)
            let owner = WorkerIdentity()
            let job = try #require(
                try queue.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
            let applied = try queue.settle(
                jobID: job.id, leaseOwner: owner.description,
                .settle(
                    .created, errorCode: nil, errorMessage: "od\u{0}d", note: nil, apiLogin: "l\u{0}", apiKey: "K\u{0}Y"
                ),
                attempt: AttemptRecord(
                    startedAt: now(), finishedAt: now(), failureClass: .created, httpStatus: 201, errorCode: "c\u{0}",
                    message: "m\u{0}", worker: owner.description))
            #expect(applied)
            var keys: [String?] = []
            try queue.forEachJob(batchID: batch) { keys.append($0.apiKey) }
            #expect(keys == ["K\u{FFFD}Y"])
        }
    }

    @Test func bulkRowsWithAndWithoutValuesReadBackInOrderAcrossPages() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let owner = WorkerIdentity()
            guard
                case .started(let batch) = try queue.beginIngest(
                    identity: BatchIdentity(sha256: "abc", provider: "octopush", mode: "create", account: "acct"),
                    fileName: "big.csv", filePath: "/in/big.csv", owner: owner)
            else {
                Issue.record("the batch was not started")
                return
            }
            let count = PostgresQueue.rowsPerInsert + PostgresQueue.jobsPerPage + 17
            let jobs = (1...count).map { row in
                row.isMultiple(of: 3)
                    ? NewJob(
                        row: row, line: row + 1, state: .invalid, fields: "[\"r\(row)\"]", errorCode: "bad",
                        errorMessage: "it's \"bad\", \u{e9}", note: nil)
                    : NewJob(row: row, line: row + 1, state: .queued, fields: "[\"r\(row)\"]", secret: "pw\(row)")
            }
            try queue.appendJobs(batchID: batch, jobs)
            #expect {
                try queue.appendJobs(batchID: "nosuchbatch", jobs)
            } throws: { error in
                if case SubImportError.unknownBatch("nosuchbatch") = error { true } else { false }
            }
            try queue.finishIngest(
                batchID: batch, totalRows: count, toSend: count - count / 3, encoding: "UTF-8", notes: "",
                columns: ["first_name"])
            var rows: [Int] = []
            var mismatches = 0
            try queue.forEachJob(batchID: batch) { job in
                rows.append(job.row)
                let expected = jobs[job.row - 1]
                if job.state != expected.state || job.fields["first_name"] != "r\(job.row)"
                    || job.errorMessage != expected.errorMessage || job.note != nil
                {
                    mismatches += 1
                }
            }
            #expect(rows == Array(1...count))
            #expect(mismatches == 0)
            #expect(try queue.storedRow(batchID: batch, row: 4)?.secret == "pw4")
            #expect(try queue.storedRow(batchID: batch, row: 3)?.secret == nil)
            #expect(try queue.statusCounts(batchID: batch) == ["pending": count - count / 3, "invalid": count / 3])
        }
    }

    @Test func countsStayRightAsTheirDeltasAreFolded() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let batch = try ingest(100, into: queue)
            let owner = WorkerIdentity()
            for _ in 0..<50 {
                for job in try queue.claim(scope: WorkScope(account: "acct"), owner: owner, limit: 2, leaseSeconds: 60)
                {
                    try queue.settle(
                        jobID: job.id, leaseOwner: owner.description,
                        .settle(
                            job.row.isMultiple(of: 2) ? .created : .failed, errorCode: nil, errorMessage: nil, note: nil
                        ),
                        attempt: nil)
                }
                _ = try queue.pendingDetail(batchID: batch)
            }
            #expect(try queue.statusCounts(batchID: batch) == ["created": 50, "failed": 50])
            let deltaRows = try database.admin { session in
                try session.query("SELECT COUNT(*) FROM batch_count").first?.decode(Int.self) ?? -1
            }
            #expect(deltaRows <= PostgresBatchCounts.foldThreshold + 8)
            #expect(try queue.retry(batchID: batch, secrets: [2: "again"], secretRequired: true) == (0, 50))
            #expect(try queue.retry(batchID: batch, secrets: [1: "again"], secretRequired: true) == (1, 49))
            #expect(try queue.statusCounts(batchID: batch) == ["created": 50, "failed": 49, "pending": 1])
            #expect(try queue.cancel(batchID: batch) == 1)
            #expect(try queue.batch(id: batch)?.state == .cancelled)
        }
    }

    @Test func theQueueReconnectsAfterTheServerDroppedItsConnections() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let batch = try ingest(2, into: queue)
            try queue.checkWritable()
            let dropped = try database.admin { session in
                try session.query(
                    """
                    SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """
                ).first?.decode(Int.self) ?? 0
            }
            #expect(dropped > 0)
            // Calls may fail while the pool finds its connections closed; they succeed again by themselves.
            let deadline = Date().addingTimeInterval(30)
            var recovered = false
            while !recovered && Date() < deadline {
                recovered = (try? queue.statusCounts(batchID: batch)) == ["pending": 2]
            }
            #expect(recovered)
            try queue.checkWritable()
        }
    }

    @Test func rowsOfAClaimWhoseAnswerWasLostGoBackToTheQueueAtTheNextRenewal() async throws {
        try await withDatabase { database in
            let queue = try database.queue(directory: directory.file("state"))
            defer { queue.close() }
            let batch = try ingest(3, into: queue)
            let owner = WorkerIdentity()
            let held = try queue.claim(scope: WorkScope(account: "acct"), owner: owner, limit: 1, leaseSeconds: 60)
            // A second claim commits, but its answer is lost on the way: its worker never got the rows.
            #expect(
                try queue.claim(scope: WorkScope(account: "acct"), owner: owner, limit: 2, leaseSeconds: 60).count == 2)
            let lostAt = try database.admin { session in
                try session.query("SELECT MAX(updated_at) FROM job WHERE state = 'running'").first?.decode(Double.self)
            }
            queue.unknownClaims.add(.init(owner: owner.description, time: try #require(lostAt)))
            #expect(try queue.renewLeases(owner: owner, leaseSeconds: 60) == 1, "only the row its worker holds")
            #expect(try queue.runningJobs(owner: owner) == 1)
            #expect(try queue.pendingDetail(batchID: batch).byState == ["running": 1, "queued": 2])
            let again = try queue.claim(
                scope: WorkScope(account: "acct"), owner: WorkerIdentity(), limit: 5, leaseSeconds: 60)
            #expect(again.map(\.attempts) == [1, 1], "the lost claim counted no attempt")
            #expect(Set(again.map(\.id)).isDisjoint(with: held.map(\.id)))
        }
    }

    @Test
    func thePasswordComesFromPGPASSWORDOrAPrivatePgpassOnly() async throws {
        try await withDatabase { database in
            let password = database.password
            let location = try PostgresLocation(url: database.url)
            try database.queue(directory: directory.file("env"), environment: ["PGPASSWORD": password]).close()
            let line = "\(location.host):\(location.port):\(location.database):\(location.user):\(password)\n"
            let pgpass = directory.write("pgpass", line)
            chmod(pgpass, 0o600)
            try database.queue(directory: directory.file("file"), environment: ["PGPASSFILE": pgpass]).close()
            chmod(pgpass, 0o644)
            let refused = #expect(throws: SubImportError.self) {
                try database.queue(directory: directory.file("open"), environment: ["PGPASSFILE": pgpass])
            }
            let message = refused.map { "\($0)" } ?? ""
            #expect(message.contains(location.description))
            #expect(!message.contains(password))
        }
    }

    @Test func aStuckOrVanishedServerMakesSettleThrowInsteadOfHanging() async throws {
        try await withDatabase { database in
            let relay = try TCPRelay(to: try PostgresLocation(url: database.url).port)
            let queue = try database.queue(
                directory: directory.file("state"), options: StoreOptions(busyTimeout: 0.2), relayPort: relay.port)
            defer { queue.close() }
            _ = try ingest(3, into: queue)
            let owner = WorkerIdentity()
            let jobs = try queue.claim(scope: WorkScope(account: "acct"), owner: owner, limit: 3, leaseSeconds: 60)
            #expect(jobs.count == 3)
            func settleInBackground(_ job: ClaimedJob) -> DispatchSemaphore {
                let done = DispatchSemaphore(value: 0)
                nonisolated(unsafe) var outcome: Result<Bool, any Error>?
                DispatchQueue.global().async {
                    outcome = Result {
                        try queue.settle(
                            jobID: job.id, leaseOwner: owner.description,
                            .settle(.created, errorCode: nil, errorMessage: nil, note: nil), attempt: nil)
                    }
                    #expect(throws: SubImportError.self) { try outcome?.get() }
                    let message = (try? outcome?.get()).map { _ in "" } ?? "\(outcome.map { "\($0)" } ?? "")"
                    #expect(message.contains("127.0.0.1:\(relay.port)"))
                    done.signal()
                }
                return done
            }
            relay.freeze()
            #expect(settleInBackground(jobs[0]).wait(timeout: .now() + 60) == .success, "settle hung on a stuck server")
            relay.cut()
            #expect(settleInBackground(jobs[1]).wait(timeout: .now() + 60) == .success, "settle hung on a gone server")
            #expect(throws: SubImportError.self) { try queue.checkWritable() }
        }
    }
}

/// Opening a PostgreSQL queue, without a server.
@Suite struct PostgresQueueOpeningTests {
    let directory = TestDirectory()

    @Test func aURLWithAPasswordIsRefusedWithoutRepeatingIt() throws {
        let error = #expect(throws: SubImportError.self) {
            try PostgresQueue(
                url: "postgres://someone:hunter2secret@127.0.0.1:1/db", directory: directory.file("state"),
                environment: [:])
        }
        #expect(error.map { "\($0)".contains("hunter2secret") } == false)
    }
}

/// Runs `body` (blocking work: on a thread of its own, off the test pool) with a new database
/// of the test server (`PostgresTestDatabase`), then drops it.
func withDatabase(_ body: @escaping @Sendable (PostgresTestDatabase) throws -> Void) async throws {
    let database = try await PostgresTestDatabase.create()
    let result = await onDedicatedThread { Result { try body(database) } }
    await database.drop()
    try result.get()
}

extension PostgresTestDatabase {
    /// The queue in this database, with the test role's password (or `environment`), through
    /// the loopback port `relayPort` when given.
    func queue(
        directory: String, options: StoreOptions = StoreOptions(busyTimeout: 5), environment: [String: String]? = nil,
        relayPort: Int? = nil
    ) throws -> PostgresQueue {
        var target = try PostgresLocation(url: url)
        if let relayPort { target.port = relayPort }
        return try PostgresQueue(
            url: target.description, directory: directory, options: options,
            environment: environment ?? self.environment)
    }

    /// Runs `body` on a connection of its own to this database.
    func admin<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let pool = try PostgresConnectionPool(
            location: try PostgresLocation(url: url), password: password, size: 1, logger: Logger(label: "test"))
        defer { pool.shutdown() }
        return try pool.withConnection(body)
    }
}

/// The engine (ingest, worker pools, answer recorder, rescue) on one PostgreSQL queue.
@Suite(PostgresTestDatabase.required)
struct PostgresEngineTests {
    let directory = TestDirectory()

    @Test func twoSessionsOnOneQueueSettleEveryRowOnceThroughFaults() async throws {
        let database = try await PostgresTestDatabase.create()
        var configuration = SandboxConfiguration()
        configuration.failRate = 0.2
        configuration.throttleRate = 0.1
        configuration.ambiguousRate = 0.1
        configuration.retryAfterSeconds = 0
        configuration.quota = 0
        configuration.seed = 11
        let sandbox = try await SandboxServer.start(configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let account = ProviderAccount(
            provider: OctopushProvider(), baseURL: sandbox.baseURL,
            credentials: ProviderCredentials(login: "master@example.com", key: "master-key"), isSandbox: false)
        let sessions = try (0..<2).map { index in
            try ImportSession(
                stateDirectory: directory.file("state\(index)"), reportsDirectory: directory.file("reports\(index)"),
                account: account, mode: .create, options: EngineHarness.fastOptions, gates: AccountGates(),
                store: database.queue(directory: directory.file("state\(index)")), logger: logger)
        }
        let batch = try sessions[0].ingest(path: directory.write("accounts.csv", Fixtures.validRows(60))).batch.id
        let results = await withTaskGroup(of: WorkResult.self) { group in
            for session in sessions {
                group.addTask { await onDedicatedThread { session.work(batchIDs: [batch]) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.fatalStop == nil })
        var jobs: [Int: JobRecord] = [:]
        try sessions[1].store.forEachJob(batchID: batch) { jobs[$0.row] = $0 }
        #expect(jobs.count == 60)
        #expect(jobs.values.allSatisfy { $0.state == .created || $0.state == .uncertain })
        var createdPerName: [String: Int] = [:]
        for created in sandbox.accounts() { createdPerName[created.firstName ?? "", default: 0] += 1 }
        #expect(createdPerName.count == 60)
        for (name, count) in createdPerName where count > 1 {
            let job = try #require(jobs.values.first { $0.fields["first_name"] == name })
            #expect(job.note?.hasPrefix("possible duplicate:") == true, "row \(job.row) created twice without a note")
        }
        #expect(try sessions[0].store.batch(id: batch)?.state == .settled)
        #expect(try sessions[0].store.statusCounts(batchID: batch).values.reduce(0, +) == 60)
        await onDedicatedThread { for session in sessions { session.shutdown() } }
        await sandbox.stop()
        await database.drop()
    }
}

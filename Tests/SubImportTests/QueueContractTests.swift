import Dispatch
import Foundation
import Testing

@testable import SubImport

/// The guarantees of `JobQueue`, checked through the protocol alone on every store: SQLite
/// (`QueueStore`) and PostgreSQL (`PostgresQueue`, on the test server of `scripts/test.sh`;
/// skipped with a warning without one).
@Suite struct QueueContractTests {
    static let columns = ["first_name", "last_name", "company_name"]

    /// The stored fields (a JSON array, names: `columns`) of row `row`.
    static func fields(_ row: Int) -> String { #"["First\#(row)","Last\#(row)","Company \#(row)"]"# }

    static func identity(_ content: String, account: String = "acct", mode: String = "create") -> BatchIdentity {
        BatchIdentity(sha256: "sha-\(content)", provider: "octopush", mode: mode, account: account)
    }

    /// Queues a `ready` batch of `content` for `account`: rows 1…`rows` to send (password
    /// `pw-<row>`), then `invalid` rows settled `invalid` at ingest. Returns its id.
    @discardableResult
    static func queueBatch(
        _ queue: any JobQueue, _ content: String, account: String = "acct", rows: Int, invalid: Int = 0,
        mode: String = "create"
    ) throws -> String {
        let start = try queue.beginIngest(
            identity: identity(content, account: account, mode: mode), fileName: "\(content).csv",
            filePath: "/inbox/\(content).csv", owner: WorkerIdentity())
        guard case .started(let batchID) = start else { throw ContractFailure("\(content) was already queued") }
        var jobs = (1...max(1, rows)).prefix(rows).map {
            NewJob(row: $0, line: $0 + 1, state: .queued, fields: fields($0), secret: "pw-\($0)")
        }
        jobs += (rows + 1..<rows + 1 + invalid).map {
            NewJob(
                row: $0, line: $0 + 1, state: .invalid, fields: fields($0), errorCode: "invalid_field",
                errorMessage: "last_name is empty")
        }
        try queue.appendJobs(batchID: batchID, jobs)
        try queue.finishIngest(
            batchID: batchID, totalRows: rows + invalid, toSend: rows, encoding: "UTF-8", notes: "", columns: columns)
        return batchID
    }

    static func attempt(
        _ owner: WorkerIdentity, _ failureClass: FailureClass, status: Int?, at time: Timestamp = now()
    ) -> AttemptRecord {
        AttemptRecord(
            startedAt: time, finishedAt: time, failureClass: failureClass, httpStatus: status, errorCode: nil,
            message: nil, worker: owner.description)
    }

    static let created = Settlement.settle(
        .created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: "login", apiKey: "api-key")
    static let failed = Settlement.settle(.failed, errorCode: "422", errorMessage: "rejected", note: nil)

    /// Every job of a batch by row.
    static func jobs(_ queue: any JobQueue, _ batchID: String) throws -> [Int: JobRecord] {
        var jobs: [Int: JobRecord] = [:]
        try queue.forEachJob(batchID: batchID) { jobs[$0.row] = $0 }
        return jobs
    }

    static func claimAll(_ queue: any JobQueue, _ owner: WorkerIdentity, account: String = "acct") throws
        -> [ClaimedJob]
    {
        try queue.claim(scope: WorkScope(account: account), owner: owner, limit: 1000, leaseSeconds: 60)
    }

    // MARK: Ingest and identity

    @Test(arguments: StoreKind.allCases) func ingestQueuesABatchOncePerIdentity(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "a", rows: 3, invalid: 1)
            #expect(batchID == Self.identity("a").batchID)
            let batch = try #require(try queue.batch(id: batchID))
            #expect(batch.state == .ready)
            #expect((batch.totalRows, batch.unsettled) == (4, 3))
            #expect(batch.columns == Self.columns)
            #expect((batch.fileName, batch.filePath, batch.account) == ("a.csv", "/inbox/a.csv", "acct"))
            #expect(try queue.batch(id: String(batchID.prefix(6)))?.id == batchID, "a unique prefix names the batch")
            #expect(try queue.storedRow(batchID: batchID, row: 2)?.fields == Self.fields(2))
            #expect(try queue.storedRow(batchID: batchID, row: 2)?.secret == "pw-2")
            #expect(try queue.storedRow(batchID: batchID, row: 9) == nil)

            let again = try queue.beginIngest(
                identity: Self.identity("a"), fileName: "copy.csv", filePath: "/elsewhere/copy.csv",
                owner: WorkerIdentity())
            guard case .exists(let existing) = again else {
                Issue.record("the same content for the same account was queued twice")
                return
            }
            #expect(existing.id == batchID)
            #expect(try queue.batch(id: batchID)?.filePath == "/inbox/a.csv", "the known batch is untouched")

            let otherAccount = try Self.queueBatch(queue, "a", account: "other", rows: 1)
            #expect(otherAccount != batchID, "the same content for another account is another batch")
            #expect(try queue.batches().map(\.id).sorted() == [batchID, otherAccount].sorted())

            try queue.relocateSource(batchID: batchID, from: "/inbox/a.csv", to: "/archive/a.csv")
            try queue.relocateSource(batchID: batchID, from: "/somewhere/else.csv", to: "/wrong.csv")
            #expect(try queue.batch(id: batchID)?.filePath == "/archive/a.csv")
        }
    }

    @Test(arguments: StoreKind.allCases) func anIngestInProgressIsOwnedAndCanBeAbandoned(_ kind: StoreKind) async throws
    {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let reader = WorkerIdentity()
            guard
                case .started(let batchID) = try queue.beginIngest(
                    identity: Self.identity("b"), fileName: "b.csv", filePath: "/b.csv", owner: reader)
            else { throw ContractFailure("a new identity must start") }
            try queue.appendJobs(batchID: batchID, [NewJob(row: 1, line: 2, state: .queued, fields: Self.fields(1))])
            #expect(try queue.batch(id: batchID)?.state == .ingesting)
            #expect(
                try Self.claimAll(queue, WorkerIdentity()).isEmpty, "rows of a batch being ingested are not claimed")
            #expect(throws: (any Error).self, "another live process is reading the same content") {
                try queue.beginIngest(
                    identity: Self.identity("b"), fileName: "b.csv", filePath: "/b.csv", owner: WorkerIdentity())
            }
            try queue.abandonIngest(batchID: batchID)
            #expect(try queue.batch(id: batchID) == nil)
            #expect(throws: (any Error).self, "rows of a batch no longer queued are refused") {
                try queue.appendJobs(
                    batchID: batchID, [NewJob(row: 2, line: 3, state: .queued, fields: Self.fields(2))])
            }
            let empty = try Self.queueBatch(queue, "empty", rows: 0, invalid: 2)
            #expect(try queue.batch(id: empty)?.state == .settled, "a batch with nothing to send is settled at once")
            #expect(try queue.statusCounts(batchID: empty) == ["invalid": 2])
        }
    }

    // MARK: Claims and leases

    @Test(arguments: StoreKind.allCases) func concurrentClaimsFromTwoQueuesNeverHandOutAJobTwice(_ kind: StoreKind)
        async throws
    {
        try await QueueUnderTest.with(kind) { store in
            let total = 120
            try Self.queueBatch(store.queue, "many", rows: total)
            // Two processes (two queues on the same storage), each with several worker threads.
            let queues = [store.queue, try store.another()]
            let owners = (0..<6).map { _ in WorkerIdentity() }
            let lock = NSLock()
            nonisolated(unsafe) var seen: [Int64] = []
            nonisolated(unsafe) var errors: [String] = []
            DispatchQueue.concurrentPerform(iterations: owners.count) { index in
                let queue = queues[index % 2]
                while true {
                    do {
                        let jobs = try queue.claim(
                            scope: WorkScope(account: "acct"), owner: owners[index], limit: 4, leaseSeconds: 60)
                        if jobs.isEmpty { return }
                        lock.withLock { seen += jobs.map(\.id) }
                    } catch {
                        lock.withLock { errors.append("\(error)") }
                        return
                    }
                }
            }
            #expect(errors.isEmpty)
            #expect(seen.count == total)
            #expect(Set(seen).count == total, "a job was handed to two claims")
            let held = try owners.map { try store.queue.runningJobs(owner: $0) }
            #expect(held.reduce(0, +) == total)
        }
    }

    @Test(arguments: StoreKind.allCases) func claimTakesOnlyTheScopesDueJobs(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let first = try Self.queueBatch(queue, "first", rows: 2)
            let second = try Self.queueBatch(queue, "second", rows: 1)
            try Self.queueBatch(queue, "theirs", account: "other", rows: 1)
            let owner = WorkerIdentity()
            #expect(try queue.claim(scope: WorkScope(account: "nobody"), owner: owner, leaseSeconds: 60).isEmpty)
            #expect(try !queue.hasRunnableJob(scope: WorkScope(account: "nobody")))

            let only = try queue.claim(
                scope: WorkScope(account: "acct", batchIDs: [second]), owner: owner, limit: 10, leaseSeconds: 60)
            #expect(only.map(\.batchID) == [second])
            let job = try #require(
                try queue.claim(
                    scope: WorkScope(account: "acct", batchIDs: [first]), owner: owner, limit: 1, leaseSeconds: 60
                ).first)
            #expect((job.batchID, job.row, job.attempts, job.failures, job.ambiguous) == (first, 1, 1, 0, false))
            #expect((job.provider, job.mode, job.account) == ("octopush", "create", "acct"))
            #expect(job.fields == ["first_name": "First1", "last_name": "Last1", "company_name": "Company 1"])
            #expect(job.secret == "pw-1")

            let later = now() + 3600
            #expect(
                try queue.settle(
                    jobID: job.id, leaseOwner: owner.description,
                    .retry(
                        at: later, errorCode: "503", errorMessage: "down", note: nil, countsAsFailure: true,
                        ambiguous: true), attempt: Self.attempt(owner, .notSent, status: 503)))
            let rest = try Self.claimAll(queue, owner)
            #expect(rest.map(\.row) == [2], "a job waiting for its retry time is not claimed")
            #expect(try !queue.hasRunnableJob(scope: WorkScope(account: "acct")))
            let outlook = try queue.outlook(scope: WorkScope(account: "acct"))
            #expect(outlook.unsettled == 3)
            #expect(abs((outlook.nextRunAt ?? 0) - later) < 0.01)
            #expect(try queue.outlook(scope: WorkScope(account: "acct", batchIDs: [second])).unsettled == 1)
            #expect(try queue.hasRunnableJob(scope: WorkScope(account: "other")))
        }
    }

    @Test(arguments: StoreKind.allCases) func renewingExtendsOnlyTheOwnersLeases(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "leases", rows: 3)
            let (alive, dead) = (WorkerIdentity(), WorkerIdentity())
            // Both leases expired a second ago: only the owner that renews keeps its jobs.
            _ = try queue.claim(scope: WorkScope(account: "acct"), owner: alive, limit: 2, leaseSeconds: -1)
            _ = try queue.claim(scope: WorkScope(account: "acct"), owner: dead, limit: 2, leaseSeconds: -1)
            #expect(try queue.renewLeases(owner: alive, leaseSeconds: 60) == 2)
            #expect(try queue.renewLeases(owner: WorkerIdentity(), leaseSeconds: 60) == 0)
            let rescued = try queue.rescueAbandonedLeases(
                policy: rescuePolicy(retryAmbiguous: true), rescuer: WorkerIdentity())
            #expect(rescued == 1)
            #expect(try queue.runningJobs(owner: alive) == 2)
            #expect(try queue.runningJobs(owner: dead) == 0)
            #expect(try queue.pendingDetail(batchID: batchID).byState == ["running": 2, "retrying": 1])
        }
    }

    @Test(arguments: StoreKind.allCases) func anExpiredLeaseIsRescuedAsThePolicySays(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let retried = try Self.queueBatch(queue, "retried", rows: 1)
            let settled = try Self.queueBatch(queue, "settled", account: "strict", rows: 1)
            let owner = WorkerIdentity()
            _ = try queue.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: -1)
            // Retried at once (no backoff), so that the rescued row can be claimed again now.
            let retryAtOnce = SettlementPolicy(
                retry: RetryPolicy(maxAttempts: 5, baseDelay: 0, maxDelay: 0, retryAmbiguous: true), fatalCodes: [])
            #expect(try queue.rescueAbandonedLeases(policy: retryAtOnce, rescuer: WorkerIdentity()) == 1)
            let job = try #require(try Self.jobs(queue, retried)[1])
            #expect(job.state == .retrying)
            #expect(job.note?.hasPrefix("possible duplicate:") == true)
            #expect(try queue.attempts(batchID: retried, row: 1).map(\.failureClass) == ["ambiguous"])
            let again = try #require(try Self.claimAll(queue, owner).first)
            #expect(again.ambiguous, "the rescued row is known to be ambiguous")
            #expect(again.attempts == 2)

            _ = try queue.claim(scope: WorkScope(account: "strict"), owner: owner, leaseSeconds: -1)
            #expect(
                try queue.rescueAbandonedLeases(policy: rescuePolicy(retryAmbiguous: false), rescuer: WorkerIdentity())
                    == 1, "only the expired lease: the row claimed again holds a live one")
            #expect(try Self.jobs(queue, settled)[1]?.state == .uncertain)
            #expect(try queue.storedRow(batchID: settled, row: 1)?.secret == nil)
            #expect(try queue.batch(id: settled)?.state == .settled)
        }
    }

    // MARK: Settling

    @Test(arguments: StoreKind.allCases) func onlyTheHoldingClaimSettlesAndTheSecretGoes(_ kind: StoreKind) async throws
    {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "settle", rows: 1)
            let owner = WorkerIdentity()
            let job = try #require(try Self.claimAll(queue, owner).first)
            let record = Self.attempt(owner, .created, status: 201)
            #expect(
                try !queue.settle(
                    jobID: job.id, leaseOwner: WorkerIdentity().description, Self.created, attempt: record),
                "another owner's answer")
            #expect(
                try !queue.settle(
                    jobID: job.id, leaseOwner: owner.description, Self.created, attempt: record,
                    claimedAttempts: job.attempts + 1), "an answer to an earlier claim of the same owner")
            #expect(try Self.jobs(queue, batchID)[1]?.state == .running, "a refused answer changes nothing")
            #expect(try queue.attempts(batchID: batchID, row: 1).isEmpty)
            #expect(try queue.storedRow(batchID: batchID, row: 1)?.secret == "pw-1")

            #expect(
                try queue.settle(
                    jobID: job.id, leaseOwner: owner.description, Self.created, attempt: record,
                    claimedAttempts: job.attempts))
            #expect(
                try !queue.settle(jobID: job.id, leaseOwner: owner.description, Self.failed, attempt: record),
                "a settled job is not settled again")
            let settled = try #require(try Self.jobs(queue, batchID)[1])
            #expect(settled.state == .created)
            #expect((settled.apiLogin, settled.apiKey) == ("login", "api-key"))
            #expect(try queue.storedRow(batchID: batchID, row: 1)?.secret == nil, "a settled row's password is erased")
            #expect(try queue.attempts(batchID: batchID, row: 1).map(\.httpStatus) == [201])
            let batch = try #require(try queue.batch(id: batchID))
            #expect((batch.state, batch.unsettled) == (.settled, 0))
            #expect(batch.finishedAt != nil)
            #expect(try queue.runningJobs(owner: owner) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func aReleaseOrRetryKeepsTheSecret(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "keep", rows: 2)
            let owner = WorkerIdentity()
            let jobs = try Self.claimAll(queue, owner)
            let applied = try queue.settle([
                SettlementEntry(jobID: jobs[0].id, leaseOwner: owner.description, .release, attempt: nil),
                SettlementEntry(
                    jobID: jobs[1].id, leaseOwner: owner.description,
                    .retry(
                        at: now(), errorCode: nil, errorMessage: "reset", note: nil, countsAsFailure: true,
                        ambiguous: false), attempt: Self.attempt(owner, .notSent, status: nil)),
            ])
            #expect(applied == [true, true])
            #expect(try queue.storedRow(batchID: batchID, row: 1)?.secret == "pw-1")
            #expect(try queue.storedRow(batchID: batchID, row: 2)?.secret == "pw-2")
            let again = try Self.claimAll(queue, owner).sorted { $0.row < $1.row }
            #expect(again.map(\.attempts) == [1, 2], "a release without a request takes its attempt back")
            #expect(again.map(\.failures) == [0, 1])
        }
    }

    @Test(arguments: StoreKind.allCases) func aGroupOfAnswersCommitsTogetherOrNotAtAll(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "group", rows: 3)
            let owner = WorkerIdentity()
            let jobs = try Self.claimAll(queue, owner).sorted { $0.row < $1.row }
            let entries = jobs.prefix(2).map {
                SettlementEntry(
                    jobID: $0.id, leaseOwner: owner.description, Self.created,
                    attempt: Self.attempt(owner, .created, status: 201), claimedAttempts: $0.attempts)
            }
            // While another connection holds the write lock past the busy timeout, the group
            // fails as a whole: neither answer is recorded.
            let refused = try await store.whileLocked { Result { try queue.settle(entries) } }
            #expect(throws: (any Error).self) { try refused.get() }
            let unwritable = try await store.whileLocked { Result { try queue.checkWritable() } }
            #expect(throws: (any Error).self) { try unwritable.get() }
            #expect(try queue.statusCounts(batchID: batchID) == ["pending": 3])
            #expect(try queue.attempts(batchID: batchID, row: 1).isEmpty)
            #expect(try queue.storedRow(batchID: batchID, row: 1)?.secret == "pw-1")

            try queue.checkWritable()
            let stranger = SettlementEntry(
                jobID: jobs[2].id, leaseOwner: WorkerIdentity().description, Self.failed, attempt: nil)
            #expect(try queue.settle(entries + [stranger]) == [true, true, false])
            #expect(try queue.statusCounts(batchID: batchID) == ["created": 2, "pending": 1])
            #expect(try queue.settle([]) == [])
        }
    }

    @Test(arguments: StoreKind.allCases) func erasingAPasswordIsAnnounced(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            try Self.queueBatch(queue, "erase", rows: 2)
            let lock = NSLock()
            nonisolated(unsafe) var count = 0
            let announced = { lock.withLock { count } }
            queue.onSecretErased { lock.withLock { count += 1 } }
            let owner = WorkerIdentity()
            let jobs = try Self.claimAll(queue, owner)
            try queue.settle(jobID: jobs[0].id, leaseOwner: owner.description, .release, attempt: nil)
            #expect(announced() == 0, "a release erases nothing")
            try queue.settle(
                jobID: jobs[1].id, leaseOwner: owner.description, Self.failed,
                attempt: Self.attempt(owner, .rejected, status: 422))
            #expect(announced() == 1, "a settlement erased a password")
            #expect(queue.scrubErasedSecrets(wait: 5))
            queue.onSecretErased(nil)
        }
    }

    // MARK: Reading a batch

    /// Row 1 created, 2 failed, 3 retrying (until `retryAt`), 4 released, 5 never claimed,
    /// 6 invalid at ingest: the three answers recorded as made at `answeredAt` (right after the
    /// claim), one second apart.
    static func knownSequence(_ queue: any JobQueue, retryAt: Timestamp) throws -> (
        batchID: String, answeredAt: Timestamp
    ) {
        let batchID = try queueBatch(queue, "known", rows: 5, invalid: 1)
        let owner = WorkerIdentity()
        let jobs = try queue.claim(scope: WorkScope(account: "acct"), owner: owner, limit: 4, leaseSeconds: 60)
            .sorted { $0.row < $1.row }
        let answeredAt = now()
        let applied = try queue.settle([
            SettlementEntry(
                jobID: jobs[0].id, leaseOwner: owner.description, created,
                attempt: attempt(owner, .created, status: 201, at: answeredAt)),
            SettlementEntry(
                jobID: jobs[1].id, leaseOwner: owner.description, failed,
                attempt: attempt(owner, .rejected, status: 422, at: answeredAt + 1)),
            SettlementEntry(
                jobID: jobs[2].id, leaseOwner: owner.description,
                .retry(
                    at: retryAt, errorCode: "503", errorMessage: "down", note: nil, countsAsFailure: true,
                    ambiguous: false), attempt: attempt(owner, .notSent, status: 503, at: answeredAt + 2)),
            SettlementEntry(jobID: jobs[3].id, leaseOwner: owner.description, .release, attempt: nil),
        ])
        guard applied == [true, true, true, true] else { throw ContractFailure("the known sequence: \(applied)") }
        return (batchID, answeredAt)
    }

    @Test(arguments: StoreKind.allCases) func figuresAfterAKnownSequence(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let start = now()
            let retryAt = start + 3600
            let (batchID, answeredAt) = try Self.knownSequence(queue, retryAt: retryAt)

            #expect(
                try queue.statusCounts(batchID: batchID) == ["created": 1, "failed": 1, "invalid": 1, "pending": 3])
            let pending = try queue.pendingDetail(batchID: batchID)
            #expect(pending.byState == ["queued": 2, "retrying": 1])
            #expect(abs((pending.nextRetryAt ?? 0) - retryAt) < 0.01)

            let jobs = try Self.jobs(queue, batchID)
            #expect(jobs.keys.sorted() == [1, 2, 3, 4, 5, 6])
            #expect(
                (1...6).map { jobs[$0]?.state }
                    == [.created, .failed, .retrying, .queued, .queued, .invalid])
            #expect(jobs[2]?.errorCode == "422")
            #expect(jobs[6]?.errorMessage == "last_name is empty")
            #expect(jobs[3]?.fields["company_name"] == "Company 3")
            var order: [Int] = []
            try queue.forEachJob(batchID: batchID) { order.append($0.row) }
            #expect(order == [1, 2, 3, 4, 5, 6], "rows in row order")

            let traffic = try queue.traffic(batchID: batchID)
            #expect(traffic.requests == 3, "the release made no request")
            #expect(abs((traffic.firstRequestAt ?? 0) - answeredAt) < 0.01)
            #expect(abs((traffic.lastAnswerAt ?? 0) - (answeredAt + 2)) < 0.01)
            #expect(try queue.attempts(batchID: batchID, row: 2).map(\.failureClass) == ["rejected"])
            #expect(try queue.attempts(batchID: batchID, row: 3).map(\.httpStatus) == [503])

            let pace = try queue.pace(batchID: batchID, window: 60, now: now())
            #expect(pace.rowsSettled == 2, "created and failed settled by an answer in the window")
            #expect(pace.unsettled == 3)
            #expect(pace.seconds >= 0 && pace.seconds <= 60)
            #expect(try queue.pace(batchID: batchID, window: 60, now: now() + 3600).rowsSettled == 0)

            let rows = try queue.pendingRows(account: "acct")
            #expect(rows.byState == ["queued": 2, "retrying": 1])
            #expect(abs((rows.oldestCreatedAt ?? 0) - start) < 60)
            #expect(try queue.pendingRows(account: "other").byState.isEmpty)
        }
    }

    // MARK: Operator actions

    @Test(arguments: StoreKind.allCases) func retryAndCancelKeepTheCountsTrue(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.knownSequence(queue, retryAt: now() + 3600).batchID
            #expect(try queue.failedRows(batchID: batchID) == [2])
            #expect(try queue.failedRows(batchID: batchID, states: [.created, .invalid]) == [1, 6])

            #expect(try queue.retry(batchID: batchID, secrets: [:]) == (0, 1), "no password: the row stays failed")
            #expect(try queue.retry(batchID: batchID, secrets: [2: "new-pw"]) == (1, 0))
            #expect(try queue.storedRow(batchID: batchID, row: 2)?.secret == "new-pw")
            #expect(try queue.statusCounts(batchID: batchID) == ["created": 1, "invalid": 1, "pending": 4])
            #expect(try queue.pendingDetail(batchID: batchID).byState == ["queued": 3, "retrying": 1])
            #expect(try queue.hasRunnableJob(scope: WorkScope(account: "acct")))

            let owner = WorkerIdentity()
            let inFlight = try #require(
                try queue.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
            #expect(try queue.cancel(batchID: batchID) == 3, "rows not in flight are cancelled")
            #expect(try queue.storedRow(batchID: batchID, row: 5)?.secret == nil, "a cancelled row's password goes")
            #expect(
                try queue.statusCounts(batchID: batchID) == ["created": 1, "invalid": 1, "cancelled": 3, "pending": 1])
            #expect(try queue.batch(id: batchID)?.state == .ready, "the row in flight finishes normally")
            #expect(
                try queue.settle(
                    jobID: inFlight.id, leaseOwner: owner.description, Self.created,
                    attempt: Self.attempt(owner, .created, status: 201)))
            #expect(try queue.batch(id: batchID)?.unsettled == 0)
            #expect(try queue.cancel(batchID: batchID) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func aSettledBatchAwaitsItsReportUntilMarked(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "report", rows: 1)
            try Self.queueBatch(queue, "unsent", rows: 1)
            #expect(try queue.batchesAwaitingReport(account: "acct").isEmpty, "nothing settled yet")
            let owner = WorkerIdentity()
            let job = try #require(
                try queue.claim(
                    scope: WorkScope(account: "acct", batchIDs: [batchID]), owner: owner, leaseSeconds: 60
                ).first)
            try queue.settle(
                jobID: job.id, leaseOwner: owner.description, Self.failed,
                attempt: Self.attempt(owner, .rejected, status: 422))
            #expect(try queue.batchesAwaitingReport(account: "acct") == [batchID])
            #expect(try queue.batchesAwaitingReport(account: "other").isEmpty)
            let finishedAt = try #require(try queue.batch(id: batchID)?.finishedAt)
            try queue.markReported([(batchID: batchID, settledAt: finishedAt)])
            #expect(try queue.batchesAwaitingReport(account: "acct").isEmpty)

            // Settled again after a retry: due again.
            _ = try queue.retry(batchID: batchID, secrets: [1: "pw"])
            let again = try #require(try Self.claimAll(queue, owner).first { $0.batchID == batchID })
            try queue.settle(
                jobID: again.id, leaseOwner: owner.description, Self.created,
                attempt: Self.attempt(owner, .created, status: 201))
            #expect(try queue.batchesAwaitingReport(account: "acct") == [batchID])
        }
    }

    @Test(arguments: StoreKind.allCases) func pruningKeepsOnlyTheIdentity(_ kind: StoreKind) async throws {
        try await QueueUnderTest.with(kind) { store in
            let queue = store.queue
            let batchID = try Self.queueBatch(queue, "prune", rows: 2, invalid: 1)
            let owner = WorkerIdentity()
            for job in try Self.claimAll(queue, owner) {
                try queue.settle(
                    jobID: job.id, leaseOwner: owner.description, Self.created,
                    attempt: Self.attempt(owner, .created, status: 201))
            }
            #expect(try queue.pruneCandidates(finishedBefore: now() + 1).isEmpty, "its report is not written yet")
            let finishedAt = try #require(try queue.batch(id: batchID)?.finishedAt)
            try queue.markReported([(batchID: batchID, settledAt: finishedAt)])
            #expect(try queue.pruneCandidates(finishedBefore: now() - 60).isEmpty, "finished less than a minute ago")
            let candidates = try queue.pruneCandidates(finishedBefore: now() + 1)
            #expect(candidates.map(\.batchID) == [batchID])
            #expect(candidates.first.map { ($0.rows, $0.attempts, $0.fileName) } ?? (0, 0, "") == (3, 2, "prune.csv"))

            #expect(try !queue.deleteFinishedBatch(batchID, finishedBefore: now() - 60))
            #expect(try queue.deleteFinishedBatch(batchID, finishedBefore: now() + 1))
            #expect(try queue.batch(id: batchID)?.state == .pruned)
            #expect(try queue.batches().isEmpty)
            #expect(try queue.batches(includingPruned: true).map(\.id) == [batchID])
            #expect(try queue.prunedBatchCount() == 1)
            #expect(try queue.attempts(batchID: batchID, row: 1).isEmpty)
            #expect(try queue.storedRow(batchID: batchID, row: 1) == nil)
            #expect(try queue.statusCounts(batchID: batchID).isEmpty)
            guard
                case .exists(let known) = try queue.beginIngest(
                    identity: Self.identity("prune"), fileName: "prune.csv", filePath: "/again.csv",
                    owner: WorkerIdentity())
            else {
                Issue.record("a pruned batch's content was queued again")
                return
            }
            #expect(known.state == .pruned)
        }
    }
}

/// A contract test's setup went wrong.
struct ContractFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

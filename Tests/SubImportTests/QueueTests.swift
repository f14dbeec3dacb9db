import Dispatch
import Foundation
import Testing

@testable import SubImport

@Suite struct QueueTests {
    let directory = TestDirectory()

    func queued(_ count: Int) throws -> (QueueStore, String) {
        let store = try QueueStore(directory: directory.file("state"))
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "acct")
            .ingest(path: directory.write("q.csv", Fixtures.validRows(count)))
        return (store, summary.batch.id)
    }

    @Test func concurrentClaimsNeverHandOutAJobTwice() throws {
        let (store, _) = try queued(200)
        let owners = (0..<8).map { _ in WorkerIdentity() }
        let claimed = NSLock()
        nonisolated(unsafe) var seen: [Int64] = []
        DispatchQueue.concurrentPerform(iterations: owners.count) { index in
            while let jobs = try? store.claim(
                scope: WorkScope(account: "acct"), owner: owners[index], limit: 3, leaseSeconds: 60), !jobs.isEmpty
            {
                claimed.lock()
                seen += jobs.map(\.id)
                claimed.unlock()
            }
        }
        #expect(seen.count == 200)
        #expect(Set(seen).count == 200)
    }

    @Test func claimOnlyTakesTheScopesAccountAndDueJobs() throws {
        let (store, batch) = try queued(2)
        let owner = WorkerIdentity()
        #expect(try store.claim(scope: WorkScope(account: "other"), owner: owner, leaseSeconds: 60).isEmpty)
        let job = try #require(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
        #expect(job.attempts == 1)
        #expect(job.secret == "secret-1-pw")
        try store.settle(
            jobID: job.id, leaseOwner: owner.description,
            .retry(
                at: now() + 3600, errorCode: "503", errorMessage: "down", note: nil, countsAsFailure: true,
                ambiguous: false),
            attempt: nil)
        let next = try store.claim(scope: WorkScope(account: "acct", batchIDs: [batch]), owner: owner, leaseSeconds: 60)
        #expect(next.map(\.row) == [2])
        #expect(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).isEmpty)
        let outlook = try store.outlook(scope: WorkScope(account: "acct"))
        #expect(outlook.unsettled == 2)
        #expect((outlook.nextRunAt ?? 0) > now() + 3000)
    }

    @Test func settlingRecordsTheAttemptErasesTheSecretAndSettlesTheBatch() throws {
        let (store, batch) = try queued(1)
        let owner = WorkerIdentity()
        let job = try #require(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
        let record = AttemptRecord(
            startedAt: now(), finishedAt: now(), failureClass: .created, httpStatus: 201, errorCode: nil, message: nil,
            worker: owner.description)
        let stranger = WorkerIdentity()
        #expect(
            try !store.settle(
                jobID: job.id, leaseOwner: stranger.description,
                .settle(.created, errorCode: nil, errorMessage: nil, note: nil), attempt: record))
        #expect(
            try store.settle(
                jobID: job.id, leaseOwner: owner.description,
                .settle(.created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: "l@sub", apiKey: "K"),
                attempt: record))
        #expect(try store.storedRow(batchID: batch, row: 1)?.secret == nil)
        #expect(try store.attempts(batchID: batch, row: 1).map(\.failureClass) == ["created"])
        let settled = try #require(try store.batch(id: batch))
        #expect(settled.state == .settled)
        #expect(settled.unsettled == 0)
        #expect(settled.finishedAt != nil)
    }

    @Test func expiredLeaseIsRescuedAsAmbiguous() throws {
        let (store, batch) = try queued(1)
        let owner = WorkerIdentity()
        _ = try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: -1)
        let rescued = try store.rescueAbandonedLeases(
            policy: rescuePolicy(retryAmbiguous: true), rescuer: WorkerIdentity())
        #expect(rescued == 1)
        var job: JobRecord?
        try store.forEachJob(batchID: batch) { job = $0 }
        #expect(job?.state == .retrying)
        #expect(job?.note?.hasPrefix("possible duplicate:") == true)
        #expect(try store.attempts(batchID: batch, row: 1).map(\.failureClass) == ["ambiguous"])
    }

    @Test func leaseOfADeadProcessIsRescuedBeforeItExpires() throws {
        let (store, batch) = try queued(1)
        let owner = WorkerIdentity()
        _ = try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 3600)
        #expect(try store.rescueAbandonedLeases(policy: rescuePolicy(retryAmbiguous: true), rescuer: owner) == 0)
        // A lease held by a process that no longer exists (pid far above pid_max).
        try store.write { db in try db.execute(sql: "UPDATE job SET lease_owner = 'pid:99999999:1'") }
        #expect(try store.rescueAbandonedLeases(policy: rescuePolicy(retryAmbiguous: false), rescuer: owner) == 1)
        var job: JobRecord?
        try store.forEachJob(batchID: batch) { job = $0 }
        #expect(job?.state == .uncertain)
    }

    @Test func cancelAndRetryKeepTheBatchCountersTrue() throws {
        let (store, batch) = try queued(3)
        let owner = WorkerIdentity()
        let job = try #require(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
        try store.settle(
            jobID: job.id, leaseOwner: owner.description, .release,
            attempt: AttemptRecord(
                startedAt: now(), finishedAt: now(), failureClass: .fatal, httpStatus: 403, errorCode: "150",
                message: "quota", worker: owner.description))
        #expect(try store.cancel(batchID: batch) == 3)
        let cancelled = try #require(try store.batch(id: batch))
        #expect(cancelled.state == .cancelled)
        #expect(try store.statusCounts(batchID: batch) == ["cancelled": 3])
    }
}

/// The settlement policy lease rescue applies in these tests.
func rescuePolicy(retryAmbiguous: Bool) -> SettlementPolicy {
    SettlementPolicy(retry: RetryPolicy(maxAttempts: 5, retryAmbiguous: retryAmbiguous), fatalCodes: [])
}

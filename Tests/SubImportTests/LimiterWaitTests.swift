import Foundation
import Logging
import SubImportSandbox
import Testing

@testable import SubImport

/// Workers waiting on the rate limiter hold no lease and obey a stop (issue 8, item 8).
@Suite struct LimiterWaitTests {
    /// A pool of its own (its own worker identity and gate) on the harness's store and sandbox,
    /// as a second process would have.
    func pool(_ harness: EngineHarness, batchID: String, gate: AccountGate, options: WorkOptions) -> WorkerPool {
        let account = harness.session.account
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = account.provider.makeClient(
            ProviderConnection(
                baseURL: account.baseURL, credentials: account.credentials, transport: harness.session.transport,
                limiter: gate.limiter))
        return WorkerPool(
            store: harness.session.store, scope: WorkScope(account: account.key, batchIDs: [batchID]),
            provider: account.provider, client: client, gate: gate, options: options, logger: logger)
    }

    /// A gate of its own, not shared with the harness's sessions.
    func freshGate(_ harness: EngineHarness) -> AccountGate {
        AccountGate(account: harness.session.account.key, limiter: TokenBucket(rate: 0, burst: 1))
    }

    @Test func aLeaseShorterThanALimiterWaitNeverSendsARowTwice() async throws {
        let harness = try await EngineHarness()
        // Longer than the floor (connect + request timeout + 1 s), so that pool B's own leases
        // outlive its requests and their group commit on a loaded machine.
        let lease = 8.0
        let options = WorkOptions(
            concurrency: 1, rate: 0, burst: 1, retry: EngineHarness.fastOptions.retry, connectTimeout: 0.5,
            requestTimeout: 2, leaseSeconds: lease)
        #expect(options.leaseSeconds == lease, "a test can use a short lease")
        let summary = try harness.session.ingest(path: harness.directory.write("a.csv", Fixtures.validRows(3)))
        let batchID = summary.batch.id
        // Pool A's account is held for longer than the lease (a 429 with Retry-After did that).
        let gateA = freshGate(harness)
        gateA.limiter.throttle(retryAfter: lease + 1.5)
        let poolA = pool(harness, batchID: batchID, gate: gateA, options: options)
        let resultA = BackgroundWork { poolA.run() }
        // Held again until pool A waits (a loaded machine may start it late), so it always does.
        #expect(
            await waitFor {
                if gateA.limiter.waiting == 1 { return true }
                gateA.limiter.throttle(retryAfter: lease + 1.5)
                return false
            }, "pool A waits on its limiter")
        let waitingSince = Date()
        // Whatever pool A claimed before waiting has an expired lease by now.
        #expect(
            try await waitFor {
                try harness.session.store.runningJobs(owner: poolA.identity) == 0
                    || Date().timeIntervalSince(waitingSince) > lease + 0.2
            })
        // Pool B (another process) rescues expired leases and sends every row.
        let resultB = await onDedicatedThread {
            self.pool(harness, batchID: batchID, gate: self.freshGate(harness), options: options).run()
        }
        #expect(resultB.fatalStop == nil)
        #expect(await waitFor { resultA.value != nil })
        // Pool A may still send a row B had not claimed when A's wait ended (a loaded machine),
        // but never one that B sent.
        #expect((resultA.value?.requests ?? 0) + resultB.requests == 3, "each row was sent once")
        #expect(harness.sandbox.accounts().count == 3, "no row was sent twice")
        let jobs = try harness.jobs(batchID)
        #expect(jobs.values.allSatisfy { $0.state == .created && $0.note == nil })
        await harness.close()
    }

    @Test func aStopWakesEveryWorkerWaitingOnTheLimiter() async throws {
        let harness = try await EngineHarness()
        let summary = try harness.session.ingest(path: harness.directory.write("b.csv", Fixtures.validRows(6)))
        let batchID = summary.batch.id
        let session = harness.session
        // The account is held for ten minutes (a 429 with a long Retry-After, under the ceiling).
        session.gate.limiter.throttle(retryAfter: 600)
        let result = BackgroundWork { session.work(batchIDs: [batchID]) }
        let concurrency = session.options.concurrency
        #expect(await waitFor { session.gate.limiter.waiting == concurrency }, "every worker waits on the limiter")
        // What SIGINT / SIGTERM do in `import`.
        session.requestStop()
        #expect(await waitFor { result.value != nil }, "the stop is obeyed during the wait")
        let stopped = try #require(result.value)
        #expect(stopped.interrupted)
        #expect(stopped.requests == 0)
        #expect(try session.store.statusCounts(batchID: batchID) == ["pending": 6])
        #expect(session.gate.limiter.waiting == 0)
        #expect(harness.sandbox.accounts().isEmpty)
        await harness.close()
    }
}

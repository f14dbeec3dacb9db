import Foundation
import Logging
import SubImportSandbox
import Testing

@testable import SubImport

/// Workers hand each request off and go on when its answer comes (issue 9, item 4): no worker
/// thread waits for an answer, and `--concurrency` bounds the requests in flight.
@Suite struct RequestHandOffTests {
    /// Wraps the real client: requests handed off are held until the test lets them go, and a
    /// blocking `send` (a worker waiting for its answer) is counted.
    final class HoldingClient: ProviderClient, @unchecked Sendable {
        let real: any ProviderClient
        private let lock = NSLock()
        private var held: [@Sendable () -> Void] = []
        private var inFlight = 0
        private(set) var mostInFlight = 0
        private(set) var blockingSends = 0

        init(real: any ProviderClient) { self.real = real }

        func send(_ job: ClaimedJob) -> ProviderAnswer {
            lock.withLock { blockingSends += 1 }
            return real.send(job)
        }

        func send(
            _ job: ClaimedJob, completingOn queue: DispatchQueue,
            _ completion: @escaping @Sendable (ProviderAnswer) -> Void
        ) {
            lock.withLock {
                inFlight += 1
                mostInFlight = max(mostInFlight, inFlight)
                held.append {
                    self.real.send(job, completingOn: queue) { answer in
                        self.lock.withLock { self.inFlight -= 1 }
                        completion(answer)
                    }
                }
            }
        }

        /// Requests handed off and not let go yet.
        var heldCount: Int { lock.withLock { held.count } }

        /// Lets every held request go to the provider.
        func releaseAll() {
            let released = lock.withLock {
                defer { held = [] }
                return held
            }
            for request in released { request() }
        }

        var counts: (most: Int, blocking: Int) { lock.withLock { (mostInFlight, blockingSends) } }
    }

    /// A pool over a new batch of `rows` rows, at `concurrency` and no rate limit, whose
    /// requests are held by a `HoldingClient` until released.
    static func holdingPool(rows: Int, concurrency: Int) async throws -> (
        EngineHarness, IngestSummary, HoldingClient, WorkerPool
    ) {
        let harness = try await EngineHarness()
        let account = harness.session.account
        let summary = try harness.session.ingest(path: harness.directory.write("a.csv", Fixtures.validRows(rows)))
        let gate = AccountGate(account: account.key, limiter: TokenBucket(rate: 0, burst: 1))
        let client = HoldingClient(
            real: account.provider.makeClient(
                ProviderConnection(
                    baseURL: account.baseURL, credentials: account.credentials, transport: harness.session.transport,
                    limiter: gate.limiter)))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var options = EngineHarness.fastOptions
        options.concurrency = concurrency
        options.rate = 0
        let pool = WorkerPool(
            store: harness.session.store, scope: WorkScope(account: account.key, batchIDs: [summary.batch.id]),
            provider: account.provider, client: client, gate: gate, options: options, logger: logger)
        return (harness, summary, client, pool)
    }

    @Test func everyWorkerHandsItsRequestOffAndConcurrencyBoundsThem() async throws {
        let concurrency = 3
        let (harness, summary, client, pool) = try await Self.holdingPool(rows: 7, concurrency: concurrency)
        let result = BackgroundWork { pool.run() }
        // Every worker has a request out and none waits for it: the answers are all held.
        #expect(await waitFor { client.heldCount == concurrency }, "each worker handed its request off")
        #expect(try pool.jobsInFlight() == concurrency)
        #expect(
            await waitFor {
                client.releaseAll()
                return result.value != nil
            })
        #expect(result.value?.requests == 7)
        #expect(client.counts.most == concurrency, "never more requests in flight than workers")
        #expect(client.counts.blocking == 0, "no worker waited for an answer")
        #expect(try harness.jobs(summary.batch.id).values.allSatisfy { $0.state == .created })
        await harness.close()
    }

    /// With no rate limit the pool claims rows a little ahead of its workers; when it stops,
    /// those never sent go back to the queue as if never claimed (not left `running`, where a
    /// later start would rescue them as possible duplicates).
    @Test func rowsClaimedAheadAndNeverSentGoBackToTheQueueWhenThePoolStops() async throws {
        let concurrency = 4
        let (harness, summary, client, pool) = try await Self.holdingPool(rows: 20, concurrency: concurrency)
        let result = BackgroundWork { pool.run() }
        #expect(await waitFor { client.heldCount == concurrency })
        let running = try harness.jobs(summary.batch.id).values.filter { $0.state == .running }.count
        #expect(running > concurrency, "rows were claimed ahead of the workers (\(running) running)")
        pool.requestStop()
        #expect(
            await waitFor {
                client.releaseAll()
                return result.value != nil
            })
        let jobs = try harness.jobs(summary.batch.id).values
        #expect(jobs.filter { $0.state == .created }.count == result.value?.requests)
        #expect(!jobs.contains { $0.state == .running }, "no row is left claimed")
        #expect(jobs.filter { $0.state == .queued }.allSatisfy { $0.attempts == 0 && $0.note == nil })
        await harness.close()
    }
}

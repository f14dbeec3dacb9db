import Foundation
import Logging
import Testing

@testable import SubImport

/// Account gates belong to the runtime that created them: two runtimes of one process calling
/// the same account each pace it at their own rate, and stopping one never stops the other.
@Suite struct RuntimeGatesTests {
    @Test func twoRuntimesForOneAccountEachGetTheirOwnGateAtTheirOwnRate() async throws {
        let harness = try await EngineHarness()
        var slow = EngineHarness.fastOptions
        slow.rate = 5
        slow.burst = 2
        let other = try harness.makeSession(mode: .create, options: slow, gates: AccountGates())
        #expect(other.account.key == harness.session.account.key)
        #expect(harness.session.gate !== other.gate)
        #expect(harness.session.gate.limiter.configuredRate == 0)
        #expect(other.gate.limiter.configuredRate == 5 && other.gate.limiter.burst == 2)

        other.gate.stop(reason: "fatal answer to the other runtime")
        #expect(harness.session.gate.stopReason == nil, "a fatal stop stays in its runtime")

        #expect(throws: AccountGateConflict.self, "one runtime, one rate per account: a second rate is refused") {
            _ = try harness.makeSession(mode: .create, options: slow)
        }
        await harness.close()
    }

    @Test func stoppingOneRuntimeWakesOnlyItsOwnLimiterWaits() async throws {
        let harness = try await EngineHarness()
        let stopped = harness.session
        let running = try harness.makeSession(mode: .create, gates: AccountGates())
        let first = try stopped.ingest(path: harness.directory.write("a.csv", Fixtures.validRows(3)))
        let second = try running.ingest(
            path: harness.directory.write("b.csv", Fixtures.validRows(3, prefix: "Other")))
        // Both runtimes are held by their own limiter for a minute.
        stopped.gate.limiter.throttle(retryAfter: 60)
        running.gate.limiter.throttle(retryAfter: 60)
        async let stoppedResult = onDedicatedThread { stopped.work(batchIDs: [first.batch.id]) }
        async let runningResult = onDedicatedThread { running.work(batchIDs: [second.batch.id]) }
        #expect(await waitFor { stopped.gate.limiter.waiting >= 1 && running.gate.limiter.waiting >= 1 })

        stopped.requestStop()
        let a = await stoppedResult
        #expect(a.interrupted && a.requests == 0, "the stopped runtime left its limiter wait at once")
        #expect(running.gate.limiter.waiting >= 1, "the other runtime still waits: its wait was not ended")
        #expect(running.gate.stopReason == nil)

        running.requestStop()
        let b = await runningResult
        #expect(b.interrupted && b.requests == 0)
        #expect(try stopped.store.statusCounts(batchID: first.batch.id)["pending"] == 3)
        #expect(try running.store.statusCounts(batchID: second.batch.id)["pending"] == 3)
        await harness.close()
    }

    @Test func aStoppedWatchLeavesItsLimiterUsable() async throws {
        let harness = try await EngineHarness()
        let session = harness.session
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = try InboxService(
            session: session,
            configuration: InboxConfiguration(inbox: harness.directory.file("inbox"), shutdownTimeout: 5),
            logger: logger)
        async let shutdown = onDedicatedThread { service.run() }
        #expect(await waitFor { service.threadsAlive })
        service.requestStop()
        #expect(await shutdown.clean)

        #expect(session.gate.limiter.acquire(), "the watch's stop did not cancel the limiter for good")
        // A later session of the same runtime shares the gate, and sends through it.
        let later = try harness.makeSession(mode: .create)
        #expect(later.gate === session.gate)
        let (summary, result) = try await harness.importCSV(Fixtures.validRows(2), session: later)
        #expect(result.requests == 2 && !result.interrupted)
        #expect(try later.store.statusCounts(batchID: summary.batch.id)["created"] == 2)
        await harness.close()
    }
}

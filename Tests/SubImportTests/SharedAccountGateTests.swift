import Foundation
import SubImportSandbox
import Testing

@testable import SubImport

/// Two batches for one provider account, worked at the same time in one process, share one
/// rate limiter and one fatal stop.
@Suite struct SharedAccountGateTests {
    @Test func twoBatchesOfOneAccountShareTheLimiterAndStopTogether() async throws {
        // The quota stops the account after 10 creates, while both batches are being worked.
        var configuration = SandboxConfiguration(quota: 10, latencyMs: 20)
        configuration.seed = 5
        var options = EngineHarness.fastOptions
        options.concurrency = 2
        // Both sessions belong to the harness (one runtime): they share its gates.
        let login = "gate-\(UUID().uuidString.prefix(8))@example.com"
        let credentials = ProviderCredentials(login: login, key: "k")
        let harness = try await EngineHarness(configuration, options: options, credentials: credentials)
        let other = try harness.makeSession(mode: .create, options: options, credentials: credentials)
        #expect(harness.session.gate === other.gate, "one gate per account in a runtime")
        #expect(harness.session.gate.limiter === other.gate.limiter)

        let first = try harness.session.ingest(path: harness.directory.write("a.csv", Fixtures.validRows(12)))
        let second = try other.ingest(
            path: harness.directory.write("b.csv", Fixtures.validRows(12, prefix: "Other")))
        let sessionA = harness.session
        async let resultA = onDedicatedThread { sessionA.work(batchIDs: [first.batch.id]) }
        async let resultB = onDedicatedThread { other.work(batchIDs: [second.batch.id]) }
        let (a, b) = await (resultA, resultB)

        #expect(a.fatalStop != nil && b.fatalStop != nil, "a fatal answer to one batch stops the other")
        #expect(harness.sandbox.accounts().count == 10)
        let pendingA = try harness.session.store.statusCounts(batchID: first.batch.id)["pending"] ?? 0
        let pendingB = try harness.session.store.statusCounts(batchID: second.batch.id)["pending"] ?? 0
        #expect(pendingA + pendingB == 14, "every row not created stays pending")
        #expect(
            harness.session.gate.limiter.reservations >= a.requests + b.requests,
            "every request of both batches waited on the one limiter")
        await harness.close()
    }
}

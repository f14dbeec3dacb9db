import Foundation
import GRDB
import SubImportSandbox
import Testing

@testable import SubImport

/// A live worker pool renews the leases of the rows it holds (a third of the lease at a time), so
/// that only a dead worker's leases expire: on a shared queue, another host rescues a row only
/// when its worker is gone, never because its answer is slow to be recorded.
@Suite struct LeaseRenewalTests {
    @Test func aLivePoolKeepsExtendingTheLeasesOfTheRowsItHolds() async throws {
        // Answers take 3.5 s, well within the 6 s request timeout even on a busy machine; the lease
        // is its floor (connect + request timeout + 1 s = 7.1 s), so its first renewal (after
        // 7.1 / 3 s) comes while the requests are in flight.
        var configuration = SandboxConfiguration(quota: 0)
        configuration.answerDelayMs = 3_500
        let options = WorkOptions(
            concurrency: 2, rate: 0, burst: 1, connectTimeout: 0.1, requestTimeout: 6, leaseSeconds: 0)
        let harness = try await EngineHarness(configuration, options: options)
        let session = harness.session
        let store = try #require(session.store as? QueueStore)
        let summary = try session.ingest(path: harness.directory.write("slow.csv", Fixtures.validRows(2)))
        let work = Task { await onDedicatedThread { session.work(batchIDs: [summary.batch.id]) } }

        // Renewed: a running row's lease now ends more than a lease after its claim.
        let renewed = await waitFor(seconds: 10) {
            let extended = try? store.read { db in
                try Double.fetchOne(
                    db, sql: "SELECT MAX(lease_expires_at - updated_at) FROM job WHERE state = 'running'")
            }
            return (extended ?? nil).map { $0 > options.leaseSeconds + 0.5 } ?? false
        }
        #expect(renewed, "the leases of rows in flight were extended while their worker lived")
        _ = await work.value
        #expect(try store.statusCounts(batchID: summary.batch.id) == ["created": 2])
        await harness.close()
    }
}

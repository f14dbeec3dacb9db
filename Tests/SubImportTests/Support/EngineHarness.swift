import Foundation
import Logging
import SubImport
import SubImportSandbox

/// The engine wired to a real sandbox server on a free loopback port, for end-to-end tests.
final class EngineHarness: @unchecked Sendable {
    let directory = TestDirectory("engine")
    let sandbox: SandboxServer
    let session: ImportSession

    /// Starts a sandbox with `configuration` and a session that sends to it with `credentials`.
    init(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        options: WorkOptions = EngineHarness.fastOptions,
        credentials: ProviderCredentials = ProviderCredentials(login: "master@example.com", key: "master-key")
    ) async throws {
        sandbox = try await SandboxServer.start(configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let account = ProviderAccount(
            provider: OctopushProvider(), baseURL: sandbox.baseURL, credentials: credentials, isSandbox: false)
        session = try ImportSession(
            stateDirectory: directory.file("state"), reportsDirectory: directory.file("reports"), account: account,
            mode: .create, options: options, logger: logger)
    }

    /// Retries quickly so fault tests stay short; the policy itself is tested separately.
    static let fastOptions = WorkOptions(
        concurrency: 4, rate: 0, burst: 1, retry: RetryPolicy(maxAttempts: 12, baseDelay: 0.005, maxDelay: 0.05))

    /// Ingests `csv` and works it until settled or stopped.
    func importCSV(_ csv: String, name: String = "accounts.csv") async throws -> (IngestSummary, WorkResult) {
        let summary = try session.ingest(path: directory.write(name, csv))
        let session = self.session
        let result = await onDedicatedThread { session.work(batchIDs: [summary.batch.id]) }
        return (summary, result)
    }

    /// The report rows of a batch, by row number.
    func jobs(_ batchID: String) throws -> [Int: JobRecord] {
        var jobs: [Int: JobRecord] = [:]
        try session.store.forEachJob(batchID: batchID) { jobs[$0.row] = $0 }
        return jobs
    }

    func close() async {
        let session = self.session
        await onDedicatedThread { session.shutdown() }
        await sandbox.stop()
    }
}

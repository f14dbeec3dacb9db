import Foundation
import Logging
import SubImport
import SubImportSandbox

/// The engine wired to a real sandbox server on a free loopback port, for end-to-end tests.
final class EngineHarness: @unchecked Sendable {
    let directory = TestDirectory("engine")
    let sandbox: SandboxServer
    let session: ImportSession
    /// The harness's own account gates: its sessions share them, like the sessions of one runtime.
    let gates: AccountGates
    private let lock = NSLock()
    private var otherSessions: [ImportSession] = []

    /// Starts a sandbox with `configuration` and a session that sends to it with `credentials`
    /// (for `provider` in `mode`).
    init(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        options: WorkOptions = EngineHarness.fastOptions,
        credentials: ProviderCredentials = ProviderCredentials(login: "master@example.com", key: "master-key"),
        provider: any ProviderDefinition = OctopushProvider(), mode: ImportMode = .create
    ) async throws {
        sandbox = try await SandboxServer.start(configuration)
        let gates = AccountGates()
        self.gates = gates
        session = try Self.openSession(
            sandbox: sandbox, directory: directory, gates: gates, options: options, credentials: credentials,
            provider: provider, mode: mode)
    }

    /// Another session on the same sandbox and state folder, sharing the harness's gates unless
    /// given others (`gates`: a second runtime of the same process).
    func makeSession(
        mode: ImportMode, provider: any ProviderDefinition = OctopushProvider(),
        options: WorkOptions = EngineHarness.fastOptions,
        credentials: ProviderCredentials = ProviderCredentials(login: "master@example.com", key: "master-key"),
        columnDefaults: [String: String] = [:], gates: AccountGates? = nil
    ) throws -> ImportSession {
        let session = try Self.openSession(
            sandbox: sandbox, directory: directory, gates: gates ?? self.gates, options: options,
            credentials: credentials, provider: provider, mode: mode, columnDefaults: columnDefaults)
        lock.withLock { otherSessions.append(session) }
        return session
    }

    private static func openSession(
        sandbox: SandboxServer, directory: TestDirectory, gates: AccountGates, options: WorkOptions,
        credentials: ProviderCredentials,
        provider: any ProviderDefinition, mode: ImportMode, columnDefaults: [String: String] = [:]
    ) throws -> ImportSession {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let account = ProviderAccount(
            provider: provider, baseURL: sandbox.baseURL, credentials: credentials, isSandbox: false)
        return try ImportSession(
            stateDirectory: directory.file("state"), reportsDirectory: directory.file("reports"), account: account,
            mode: mode, options: options, columnDefaults: columnDefaults, gates: gates, logger: logger)
    }

    /// Retries quickly so fault tests stay short; the policy itself is tested separately.
    static let fastOptions = WorkOptions(
        concurrency: 4, rate: 0, burst: 1, retry: RetryPolicy(maxAttempts: 12, baseDelay: 0.005, maxDelay: 0.05))

    /// Ingests `csv` and works it until settled or stopped.
    func importCSV(_ csv: String, name: String = "accounts.csv", session: ImportSession? = nil) async throws -> (
        IngestSummary, WorkResult
    ) {
        let session = session ?? self.session
        let summary = try session.ingest(path: directory.write(name, csv))
        let result = await onDedicatedThread { session.work(batchIDs: [summary.batch.id]) }
        return (summary, result)
    }

    /// The report rows of a batch, by row number.
    func jobs(_ batchID: String) throws -> [Int: JobRecord] {
        var jobs: [Int: JobRecord] = [:]
        try session.store.forEachJob(batchID: batchID) { jobs[$0.row] = $0 }
        return jobs
    }

    /// Shuts every session down and stops the sandbox.
    func close() async {
        let sessions = [session] + lock.withLock { otherSessions }
        await onDedicatedThread { for session in sessions { session.shutdown() } }
        await sandbox.stop()
    }
}

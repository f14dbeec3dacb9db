import ArgumentParser
import Foundation
import Logging
import SubImport
import SubImportSandbox

/// A ready-to-use engine for one command: the session, and the in-process sandbox when `--sandbox`.
/// The runtime owns its account gates (a registry of its own, never shared with another runtime
/// of the process): its `--rate`/`--burst` pace its account, and its stop wakes only its waits.
final class Runtime: @unchecked Sendable {
    let session: ImportSession
    let sandbox: SandboxServer?
    let logger: Logger
    let progressInterval: Double?
    /// The state folder's lock, held for the whole run by commands that send.
    let stateLock: StateLock?
    /// Closes the queue's connections (a shared queue's and its gates'); called by `close`.
    private let closeQueue: @Sendable () -> Void

    private init(
        session: ImportSession, sandbox: SandboxServer?, logger: Logger, progressInterval: Double?,
        stateLock: StateLock?, closeQueue: @escaping @Sendable () -> Void
    ) {
        self.closeQueue = closeQueue
        self.session = session
        self.sandbox = sandbox
        self.logger = logger
        self.progressInterval = progressInterval
        self.stateLock = stateLock
    }

    /// Builds the runtime. Credentials come from the environment unless `--sandbox` is used or
    /// `needsCredentials` is false (then the account is still named, but nothing can be sent).
    /// A command that sends names itself in `sendingAs`: it takes the state folder's exclusive
    /// lock first (`StateLock`), so that no two processes send from one state folder.
    static func make(
        _ common: CommonOptions, needsCredentials: Bool, stateOverride: String? = nil, sendingAs command: String? = nil
    ) async throws -> Runtime {
        var logger = common.log.makeLogger()
        logger[metadataKey: "provider"] = "\(common.providerDefinition.name)"
        let stateLock = try command.map {
            try StateLock.acquire(stateDirectory: stateOverride ?? common.paths.state, command: $0)
        }
        let provider = common.providerDefinition
        var sandbox: SandboxServer?
        let account: ProviderAccount
        if common.sandbox {
            let server = try await SandboxServer.start(
                common.sandboxBehaviour.applied(to: SandboxConfiguration()), logger: logger)
            sandbox = server
            account = ProviderAccount(
                provider: provider, baseURL: server.baseURL, credentials: provider.sandboxCredentials, isSandbox: true)
        } else {
            let environment = ProcessInfo.processInfo.environment
            let credentials: ProviderCredentials
            if needsCredentials {
                credentials = try provider.credentials(environment: environment)
            } else {
                credentials =
                    (try? provider.credentials(environment: environment))
                    ?? ProviderCredentials(login: provider.accountLogin(environment: environment), key: "")
            }
            account = ProviderAccount(
                provider: provider, baseURL: common.baseURL ?? provider.defaultBaseURL, credentials: credentials,
                isSandbox: false)
        }
        let queue = try common.paths.openQueueForSending(stateOverride: stateOverride, logger: logger)
        let session = try ImportSession(
            stateDirectory: stateOverride ?? common.paths.state, reportsDirectory: common.paths.reports,
            account: account,
            mode: common.importMode, options: common.workOptions, columnDefaults: common.columnDefaults,
            storeOptions: common.paths.storeOptions, gates: queue.gates, store: queue.store, logger: logger)
        if command != nil { try session.prepareForSending() }
        return Runtime(
            session: session, sandbox: sandbox, logger: logger, progressInterval: common.progressEvery,
            stateLock: stateLock, closeQueue: queue.close)
    }

    /// `make`, reporting a failure (missing credentials, unusable or locked state folder) and
    /// exiting with 2.
    static func makeOrExit(
        _ common: CommonOptions, needsCredentials: Bool, stateOverride: String? = nil, sendingAs command: String? = nil
    ) async throws -> Runtime {
        do {
            return try await make(
                common, needsCredentials: needsCredentials, stateOverride: stateOverride, sendingAs: command)
        } catch let failure as StoreUnwritable {
            printError("error: \(failure)")
            throw ExitCode(3)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Works `batchIDs` with a progress line, stopping cleanly on SIGINT/SIGTERM, then writes the
    /// reports and returns the exit code (see `finishRun`). `scope` nil works every batch of the account.
    func workAndReport(batchIDs: [String], scope: [String]?, hadUnreadable: Bool) async throws -> ExitCode {
        let session = self.session
        let trap = SignalTrap { session.requestStop() }
        let progress = ProgressReporter(store: session.store, batchIDs: batchIDs, interval: progressInterval)
        progress.start()
        let result = await onDedicatedThread { session.work(batchIDs: scope) }
        progress.stop()
        withExtendedLifetime(trap) {}
        return try finishRun(session: session, batchIDs: batchIDs, result: result, hadUnreadable: hadUnreadable)
    }

    /// Stops the sandbox and the HTTP client.
    func close() async {
        let session = self.session
        let closeQueue = self.closeQueue
        await onDedicatedThread {
            session.shutdown()
            closeQueue()
        }
        await sandbox?.stop()
    }
}

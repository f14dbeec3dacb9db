import Foundation
import Logging
import SubImport
import SubImportPostgres

extension StateOptions {
    /// The shared queue's URL: `--queue`, else `SUBIMPORT_QUEUE_URL`; nil: SQLite under `--state`.
    var queueURL: String? {
        let url = queue ?? ProcessInfo.processInfo.environment["SUBIMPORT_QUEUE_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// Opens the queue the options name: PostgreSQL when a queue URL is given (the state folder
    /// still holds this host's answer journal and lock), else SQLite under the state folder.
    /// `stateOverride` (a dry run's own folder) always gets a SQLite queue of its own: a dry run
    /// never touches a shared queue.
    func openQueue(stateOverride: String? = nil) throws -> any JobQueue {
        if let stateOverride { return try QueueStore(directory: stateOverride, options: storeOptions) }
        guard let queueURL else { return try QueueStore(directory: state, options: storeOptions) }
        return try PostgresQueue(url: queueURL, directory: state, options: storeOptions)
    }

    /// The queue a runtime sends from (`openQueue`) and the gates that pace its provider account:
    /// with a shared PostgreSQL queue, each account's `--rate` and fatal stop are shared by every
    /// process and host on it (`SharedAccountLimiters`); with SQLite, they are this process's.
    func openQueueForSending(stateOverride: String?, logger: Logger) throws -> SendingQueue {
        let store = try openQueue(stateOverride: stateOverride)
        guard stateOverride == nil, let queueURL else {
            return SendingQueue(store: store, gates: AccountGates(), close: {})
        }
        let location = try PostgresLocation(url: queueURL)
        let limiters = try SharedAccountLimiters(
            location: location,
            password: PostgresPassword.find(for: location, environment: ProcessInfo.processInfo.environment),
            logger: logger)
        return SendingQueue(
            store: store, gates: limiters.accountGates(),
            close: {
                limiters.shutdown()
                (store as? PostgresQueue)?.close()
            })
    }
}

/// A queue opened for a run and how to release it (`StateOptions.openQueueForSending`).
struct SendingQueue: Sendable {
    let store: any JobQueue
    let gates: AccountGates
    /// Closes the connections the queue and its gates hold; call once, after the run.
    let close: @Sendable () -> Void
}

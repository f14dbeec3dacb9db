import Foundation
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
}

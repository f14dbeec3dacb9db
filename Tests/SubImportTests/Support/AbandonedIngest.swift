import Foundation
import Testing

@testable import SubImport

extension QueueStore {
    /// Starts an ingest of `file` for `account` (Octopush, create) and leaves it as a process
    /// that no longer exists would: state `ingesting`, owned by a dead process id. Returns the
    /// batch id.
    func abandonedIngest(of file: String, account: String) throws -> String {
        let identity = BatchIdentity(
            sha256: try Digest.sha256Hex(ofFile: file), provider: "octopush", mode: "create", account: account)
        guard
            case .started(let id) = try beginIngest(
                identity: identity, fileName: (file as NSString).lastPathComponent, filePath: file,
                owner: WorkerIdentity())
        else {
            Issue.record("a new identity must start an ingest")
            throw SubImportError.unknownBatch(identity.batchID)
        }
        try write { db in
            try db.execute(sql: "UPDATE batch SET ingest_owner = 'pid:99999999:1' WHERE id = ?", arguments: [id])
        }
        return id
    }
}

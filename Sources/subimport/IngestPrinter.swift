import Foundation
import SubImport

/// Ingests `files`, printing one line per file. Returns the batches to work and whether any
/// file could not be read (exit code 2).
func ingestFiles(_ files: [String], session: ImportSession) -> (batchIDs: [String], hadUnreadable: Bool) {
    var batchIDs: [String] = []
    var hadUnreadable = false
    for file in files {
        do {
            let summary = try session.ingest(path: file)
            if summary.batch.state == .pruned {
                // Its rows are gone: nothing to work, and its report (written before) must not be overwritten.
                print("\(file): content already imported as batch \(summary.batch.id), \(prunedText(summary.batch))")
                continue
            }
            if summary.alreadyKnown {
                print(
                    "\(file): content already imported as batch \(summary.batch.id) (\(summary.batch.state.rawValue)); "
                        + (summary.batch.state == .ready ? "resuming it" : "re-reporting it, nothing is sent again"))
            } else {
                var line =
                    "\(file): \(summary.rows) rows, \(summary.toSend) to send, \(summary.invalid) invalid, \(summary.duplicates) duplicate → batch \(summary.batch.id)"
                if !summary.notes.isEmpty { line += " (\(summary.notes.joined(separator: "; ")))" }
                print(line)
            }
            if !batchIDs.contains(summary.batch.id) { batchIDs.append(summary.batch.id) }
        } catch {
            printError("error: \(error)")
            hadUnreadable = true
        }
    }
    return (batchIDs, hadUnreadable)
}

/// What became of a pruned batch, for messages: when, and that nothing is sent again.
func prunedText(_ batch: Batch) -> String {
    let when =
        batch.prunedAt.map { " on " + ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? ""
    return
        "pruned\(when) (its rows and API keys were deleted; its report files stay where they were written); nothing is sent again"
}

import ArgumentParser
import Foundation
import SubImport

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "List the batches, their rows by status, and what is pending or retrying.")

    @OptionGroup var paths: StateOptions

    @OptionGroup var log: LogOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let store = try paths.openQueue()
        let batches = try store.batches()
        var objects: [String] = []
        for batch in batches {
            let counts = try store.statusCounts(batchID: batch.id)
            let pending = try store.pendingDetail(batchID: batch.id)
            // Pace and ETA for a batch being worked: rows left, and sending started.
            let beingWorked = batch.state == .ready && batch.unsettled > 0 && batch.startedAt != nil
            let pace = beingWorked ? try store.pace(batchID: batch.id) : nil
            if json {
                let pendingJSON = ["queued", "running", "retrying"].map {
                    "\(JSONText.quote($0)): \(pending.byState[$0] ?? 0)"
                }.joined(separator: ", ")
                let next = pending.nextRetryAt.map { String(format: "%.3f", $0) } ?? "null"
                objects.append(
                    "{\"batch_id\": \(JSONText.quote(batch.id)), \"file\": \(JSONText.quote(batch.fileName)), "
                        + "\"provider\": \(JSONText.quote(batch.provider)), \"account\": \(JSONText.quote(batch.account)), "
                        + "\"state\": \(JSONText.quote(batch.state.rawValue)), \"rows\": \(batch.totalRows), "
                        + "\"counts\": \(ReportWriter.countsJSON(counts)), \"pending\": {\(pendingJSON)}, \"next_retry_at\": \(next), "
                        + "\"rate_now\": \(pace.map { String(format: "%.3f", $0.rate) } ?? "null"), "
                        + "\"eta_seconds\": \(pace?.eta.map { String(format: "%.0f", $0) } ?? "null")}"
                )
            } else {
                let summary = ReportWriter.countsText(counts)
                print(
                    "\(batch.id)  \(batch.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(batch.fileName)  [\(batch.provider)]  \(batch.totalRows) rows: \(summary)"
                )
                if let pace {
                    print(
                        String(
                            format: "    now %.1f rows/s over the last %.0f s, ETA %@", pace.rate, pace.seconds,
                            pace.eta.map(ProgressReporter.duration) ?? "--"))
                }
                if (pending.byState["retrying"] ?? 0) > 0, let next = pending.nextRetryAt {
                    print(
                        "    \(pending.byState["retrying"]!) retrying, next in \(max(0, Int(next - Date().timeIntervalSince1970)))s"
                    )
                }
            }
        }
        let pruned = json ? 0 : try store.prunedBatchCount()
        if pruned > 0 {
            print(
                "(\(pruned) pruned batch(es) not shown: only their identity is kept, so their files are never imported again)"
            )
        }
        if json {
            print("[" + objects.joined(separator: ",\n ") + "]")
        } else if batches.isEmpty {
            print("no batches in \(store.location)")
        }
    }
}

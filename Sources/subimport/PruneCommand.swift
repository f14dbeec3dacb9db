import ArgumentParser
import Foundation
import SubImport

struct PruneCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract:
            "Delete finished batches (rows, attempts, API keys) and their archived and rejected files older than an age.",
        discussion: """
            A batch goes only when every row is settled, it finished more than --older-than ago and its \
            report was written (or it was cancelled). Its source file goes only if it is in <state>/archive. \
            Rejected files go when rejected more than --older-than ago. Reports are never touched. Safe \
            while `watch` runs on the same state folder.
            """)

    @OptionGroup var paths: StateOptions

    @OptionGroup var log: LogOptions

    @Option(
        name: .customLong("older-than"),
        help: "Age: a whole number of days, hours, minutes or seconds (90d, 12h, 30m, 10s).")
    var olderThan: String

    @Flag(name: .customLong("dry-run"), help: "List what would be removed; remove nothing.")
    var dryRun = false

    func validate() throws {
        guard RetentionAge(olderThan) != nil else {
            throw ValidationError(
                "--older-than takes a whole number and a unit d, h, m or s, like 90d or 12h (got \(olderThan))")
        }
    }

    func run() throws {
        let age = RetentionAge(olderThan)!
        // A SQLite state folder without a queue has nothing to prune (and gets none created);
        // a shared queue is always there to look at.
        guard
            paths.queueURL != nil
                || FileManager.default.fileExists(
                    atPath: (paths.state as NSString).appendingPathComponent("queue.sqlite"))
        else {
            print("nothing to prune: no queue in \(paths.state)")
            return
        }
        let result: PruneResult
        do {
            result = try Pruner(store: try paths.openQueue()).prune(olderThan: age, dryRun: dryRun)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        for line in result.lines(dryRun: dryRun, age: age) { print(line) }
    }
}

extension PruneResult {
    /// What was removed (or would be, in a dry run), one line each, then a summary line.
    func lines(dryRun: Bool, age: RetentionAge) -> [String] {
        let verb = dryRun ? "would remove" : "removed"
        let formatter = ISO8601DateFormatter()
        var lines = batches.map { batch in
            "\(verb) batch \(batch.batchID) (\(batch.fileName), \(batch.rows) rows, \(batch.attempts) attempts, finished \(formatter.string(from: Date(timeIntervalSince1970: batch.finishedAt))))"
        }
        lines += archivedFiles.map { "\(verb) \($0)" }
        lines += rejectedFiles.map { "\(verb) \($0) and its reason file" }
        let summary =
            "\(batches.count) batch(es), \(archivedFiles.count) archived file(s) and \(rejectedFiles.count) rejected file(s) older than \(age)"
        if !dryRun && !batches.isEmpty && !walTruncated {
            lines.append(
                "note: another process was reading the queue, so its write-ahead log was not truncated now; later writes overwrite it"
            )
        }
        lines.append(
            dryRun ? "dry run: \(summary) would be removed; nothing was removed" : "pruned \(summary); reports stay")
        return lines
    }
}

import ArgumentParser
import SubImport

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract:
            "Put the failed and quota-blocked rows of a batch back in the queue (a later `work` or `import` sends them)."
    )

    @OptionGroup var paths: StateOptions

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func run() throws {
        let store = try QueueStore(directory: paths.state)
        guard let found = try store.batch(id: batch) else {
            printError("error: \(SubImportError.unknownBatch(batch))")
            throw ExitCode(2)
        }
        let result = try store.retry(batchID: found.id)
        print(
            "batch \(found.id): \(result.requeued) failed row(s) queued again; pending rows get a fresh attempt budget")
        if result.skipped > 0 {
            print("  \(result.skipped) failed row(s) cannot be resent: their password was erased when they settled")
        }
    }
}

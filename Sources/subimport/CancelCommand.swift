import ArgumentParser
import SubImport

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Stop a batch: its rows not yet sent become `cancelled`.")

    @OptionGroup var paths: StateOptions

    @OptionGroup var log: LogOptions

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func run() throws {
        let (store, found) = try paths.openBatch(batch)
        let cancelled = try store.cancel(batchID: found.id)
        // The cancelled rows' passwords leave the WAL too (a sender checkpoints again at its start).
        store.scrubErasedSecrets(wait: 0.25)
        print("batch \(found.id): \(cancelled) row(s) cancelled")
    }
}

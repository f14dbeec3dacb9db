import ArgumentParser
import SubImport

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract:
            "Put the failed and quota-blocked rows of a batch back in the queue (a later `work` or `import` sends them).",
        discussion: """
            Passwords are erased from the queue when a row settles, so failed rows get theirs back from \
            the batch's source file (checked by SHA-256); rows without passwords (SMSPartner) need no \
            file. Rows settled `uncertain` are never sent again by `retry`: the provider may have \
            created them (an ambiguous attempt, or a success whose answer could not be read); check \
            there first.
            """)

    @OptionGroup var paths: StateOptions

    @Option(help: "A copy of the batch's source file, when it is no longer where it was imported from.")
    var file: String?

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func run() throws {
        let (store, found) = try paths.openBatch(batch)
        guard let definition = ProviderRegistry.named(found.provider) else {
            printError("error: batch \(found.id) is for provider \(found.provider), which this build does not know")
            throw ExitCode(2)
        }
        let failed = try store.failedRows(batchID: found.id)
        let recovery = SecretRecovery(provider: definition, mode: ImportMode(rawValue: found.mode) ?? .create)
        var secrets: [Int: String] = [:]
        if !failed.isEmpty && recovery.hasSecrets {
            do {
                secrets = try recovery.secrets(of: failed, batch: found, path: file ?? found.filePath)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
        }
        let result = try store.retry(batchID: found.id, secrets: secrets, secretRequired: recovery.secretRequired)
        print(
            "batch \(found.id): \(result.requeued) failed row(s) queued again; pending rows get a fresh attempt budget")
        if let uncertain = try store.statusCounts(batchID: found.id)["uncertain"], uncertain > 0 {
            print(
                "  \(uncertain) uncertain row(s) not sent again: the provider may have created them; check there first")
        }
        if result.skipped > 0 {
            print("  \(result.skipped) failed row(s) have no password in the source file and stay failed")
        }
    }
}

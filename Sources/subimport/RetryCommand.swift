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
            file. Rows settled `uncertain` are not retried unless asked for with --status uncertain \
            and confirmed with --yes: the provider may have created them, so sending them again may \
            create their accounts twice; check there first.
            """)

    @OptionGroup var paths: StateOptions

    @OptionGroup var log: LogOptions

    @Option(help: "A copy of the batch's source file, when it is no longer where it was imported from.")
    var file: String?

    @Option(help: "Which settled rows to send again: failed, uncertain or failed,uncertain.")
    var status = StatusList(argument: "failed")!

    @Flag(help: "Confirm re-sending `uncertain` rows (their accounts may then exist twice).")
    var yes = false

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func validate() throws {
        guard status.statuses.allSatisfy(["failed", "uncertain"].contains) else {
            throw ValidationError(
                "retry --status takes failed, uncertain or failed,uncertain (got \(status.statuses.joined(separator: ",")))"
            )
        }
    }

    func run() throws {
        let (store, found) = try paths.openBatch(batch)
        guard let definition = ProviderRegistry.named(found.provider) else {
            printError("error: batch \(found.id) is for provider \(found.provider), which this build does not know")
            throw ExitCode(2)
        }
        let states = status.jobStates
        let rows = try store.failedRows(batchID: found.id, states: states)
        if states.contains(.uncertain) {
            let uncertain = try store.failedRows(batchID: found.id, states: [.uncertain]).count
            let warning =
                "\(uncertain) uncertain row(s): the provider may have created their accounts already, so up to \(uncertain) account(s) might then exist twice"
            guard yes || uncertain == 0 else {
                printError("error: \(warning); check the provider first, then add --yes to send them again")
                throw ExitCode(2)
            }
            if uncertain > 0 { printError("warning: sending again \(warning)") }
        }
        let recovery = SecretRecovery(provider: definition, mode: ImportMode(rawValue: found.mode) ?? .create)
        var secrets: [Int: String] = [:]
        if !rows.isEmpty && recovery.hasSecrets {
            do {
                secrets = try recovery.secrets(of: rows, batch: found, path: file ?? found.filePath)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
        }
        let result = try store.retry(
            batchID: found.id, secrets: secrets, secretRequired: recovery.secretRequired, states: states)
        let named = status.statuses.joined(separator: " or ")
        print(
            "batch \(found.id): \(result.requeued) \(named) row(s) queued again; pending rows get a fresh attempt budget"
        )
        if result.skipped > 0 {
            print("  \(result.skipped) \(named) row(s) have no password in the source file and stay \(named)")
        }
    }
}

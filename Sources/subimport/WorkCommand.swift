import ArgumentParser
import SubImport

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Send every queued row of the provider account until nothing is left to do, write the reports, exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let runtime: Runtime
        do {
            runtime = try await Runtime.make(common, needsCredentials: true)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let session = runtime.session
        let batchIDs = try session.unsettledBatchIDs()
        if batchIDs.isEmpty {
            print("nothing queued for \(session.account.key)")
            await runtime.close()
            return
        }
        let trap = SignalTrap { session.requestStop() }
        let progress = ProgressReporter(store: session.store, batchIDs: batchIDs)
        progress.start()
        let result = await onDedicatedThread { session.work(batchIDs: nil) }
        progress.stop()
        _ = trap
        let code = try finishRun(session: session, batchIDs: batchIDs, result: result, hadUnreadable: false)
        await runtime.close()
        throw code
    }
}

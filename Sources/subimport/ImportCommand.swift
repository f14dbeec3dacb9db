import ArgumentParser
import Foundation
import SubImport

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import CSV files: queue their rows, send them until every row is settled, write the reports.")

    @OptionGroup var common: CommonOptions

    @Flag(name: .customLong("dry-run"), help: "Validate and report; send nothing and leave the queue untouched.")
    var dryRun = false

    @Argument(help: "CSV files to import.")
    var files: [String]

    func run() async throws {
        var stateOverride: String?
        if dryRun {
            stateOverride =
                NSTemporaryDirectory() + "subimport-dry-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        }
        defer { if let stateOverride { try? FileManager.default.removeItem(atPath: stateOverride) } }
        let runtime: Runtime
        do {
            runtime = try await Runtime.make(common, needsCredentials: !dryRun, stateOverride: stateOverride)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let session = runtime.session
        let (batchIDs, hadUnreadable) = ingestFiles(files, session: session)
        if dryRun || batchIDs.isEmpty {
            let code = try finishRun(
                session: session, batchIDs: batchIDs, result: nil, hadUnreadable: hadUnreadable, dryRun: dryRun)
            await runtime.close()
            throw code
        }
        let trap = SignalTrap { session.requestStop() }
        let progress = ProgressReporter(store: session.store, batchIDs: batchIDs)
        progress.start()
        let result = await onDedicatedThread { session.work(batchIDs: batchIDs) }
        progress.stop()
        _ = trap
        let code = try finishRun(session: session, batchIDs: batchIDs, result: result, hadUnreadable: hadUnreadable)
        await runtime.close()
        throw code
    }
}

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
        // A dry run queues into a throwaway state folder, so a real run later starts afresh.
        let stateOverride =
            dryRun ? NSTemporaryDirectory() + "subimport-dry-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : nil
        defer { if let stateOverride { try? FileManager.default.removeItem(atPath: stateOverride) } }
        let runtime = try await Runtime.makeOrExit(
            common, needsCredentials: !dryRun, stateOverride: stateOverride, sendingAs: dryRun ? nil : "import")
        let (batchIDs, hadUnreadable) = ingestFiles(files, session: runtime.session)
        let code: ExitCode
        if dryRun || batchIDs.isEmpty {
            code = try finishRun(
                session: runtime.session, batchIDs: batchIDs, result: nil, hadUnreadable: hadUnreadable, dryRun: dryRun)
        } else {
            code = try await runtime.workAndReport(batchIDs: batchIDs, scope: batchIDs, hadUnreadable: hadUnreadable)
        }
        await runtime.close()
        throw code
    }
}

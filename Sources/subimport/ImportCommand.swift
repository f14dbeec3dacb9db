import ArgumentParser
import Foundation
import SubImport

#if canImport(Glibc)
    import Glibc
#endif

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
        // A dry run queues into a throwaway state folder inside the state folder, removed at exit,
        // on SIGINT/SIGTERM, or (after SIGKILL) by the next run.
        let dryRunFolder = try dryRun ? makeDryRunFolder() : nil
        let signalSources = dryRunFolder.map(removeOnSignal) ?? []
        defer {
            dryRunFolder?.remove()
            withExtendedLifetime(signalSources) {}
        }
        let runtime = try await Runtime.makeOrExit(
            common, needsCredentials: !dryRun, stateOverride: dryRunFolder?.path, sendingAs: dryRun ? nil : "import")
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

    private func makeDryRunFolder() throws -> DryRunFolder {
        do {
            return try DryRunFolder(stateDirectory: common.paths.state, logger: common.log.makeLogger())
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// On SIGINT or SIGTERM, deletes `folder` and exits with 130.
private func removeOnSignal(_ folder: DryRunFolder) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            folder.remove()
            printError("interrupted: dry run stopped, its temporary folder removed")
            exit(130)
        }
        source.resume()
        return source
    }
}

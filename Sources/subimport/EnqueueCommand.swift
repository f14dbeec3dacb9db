import ArgumentParser
import SubImport

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract:
            "Queue the rows of CSV files without sending anything (a later `work`, `watch` or `import` sends them).")

    @OptionGroup var common: CommonOptions

    @Argument(help: "CSV files to queue.")
    var files: [String]

    func run() async throws {
        let runtime = try await Runtime.makeOrExit(common, needsCredentials: false)
        let (_, hadUnreadable) = ingestFiles(files, session: runtime.session)
        await runtime.close()
        if hadUnreadable { throw ExitCode(2) }
    }
}

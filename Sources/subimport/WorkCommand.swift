import ArgumentParser
import SubImport

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Send every queued row of the provider account until nothing is left to do, write the reports, exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let runtime = try await Runtime.makeOrExit(common, needsCredentials: true, sendingAs: "work")
        let batchIDs = try runtime.session.unsettledBatchIDs()
        if batchIDs.isEmpty {
            print("nothing queued for \(runtime.session.account.key)")
            await runtime.close()
            return
        }
        let code = try await runtime.workAndReport(batchIDs: batchIDs, scope: nil, hadUnreadable: false)
        await runtime.close()
        throw code
    }
}

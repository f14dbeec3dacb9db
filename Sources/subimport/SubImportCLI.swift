import ArgumentParser

@main
struct SubImportCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subimport",
        abstract:
            "Create SMS-gateway sub-accounts from CSV files, through the providers' APIs, with a report of the API keys.",
        subcommands: [
            ImportCommand.self, EnqueueCommand.self, WorkCommand.self, StatusCommand.self, ReportCommand.self,
            RetryCommand.self, CancelCommand.self, SandboxCommand.self,
        ])
}

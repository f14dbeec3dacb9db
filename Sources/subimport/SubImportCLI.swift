import ArgumentParser
import Foundation
import SubImport

@main
struct SubImportCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subimport",
        abstract:
            "Create SMS-gateway sub-accounts from CSV files, through the providers' APIs, with a report of the API keys.",
        subcommands: [
            ImportCommand.self, WatchCommand.self, EnqueueCommand.self, WorkCommand.self, StatusCommand.self,
            ReportCommand.self,
            RetryCommand.self, CancelCommand.self, PruneCommand.self, SandboxCommand.self,
        ])

    /// The `--log-format` of `command` (text for commands without log options).
    private static func logFormat(of command: any ParsableCommand) -> LogFormat {
        (command as? any LoggingCommand)?.log.format ?? .text
    }

    /// Runs the command; bad usage exits with 2 (PRODUCT.md), not ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            StandardError.format = logFormat(of: command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as SubImportError {
            // An unsafe or locked state folder, or an unusable --queue, from any command: refused like bad usage.
            switch error {
            case .unsafeState, .queueLocation:
                printError("error: \(error)")
                Foundation.exit(2)
            default:
                exit(withError: error)
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            if StandardError.format == .json, !(error is ExitCode) {
                StandardError.message("error: \(fullMessage(for: error))")
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }
}

import ArgumentParser
import Logging
import SubImport

/// `--log-level` and `--log-format`, accepted by every command.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical",
        transform: { text in
            guard let level = Logger.Level(rawValue: text) else {
                throw ValidationError("unknown log level '\(text)': trace|debug|info|notice|warning|error|critical")
            }
            return level
        })
    var level: Logger.Level = .info

    @Option(
        name: .customLong("log-format"),
        help:
            "text (for people) or json (one object a line: time, level, message, batch, file, row, provider, error_class, error_code)."
    )
    var format: LogFormat = .text

    /// A logger writing to standard error in the chosen format at the chosen level, control
    /// characters escaped (`EscapingLogHandler`) in both formats.
    func makeLogger() -> Logger {
        let format = self.format
        let level = self.level
        var logger = Logger(label: "subimport") { label in
            switch format {
            case .json: return EscapingLogHandler(wrapping: JSONLogHandler(level: level))
            case .text: return EscapingLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            }
        }
        logger.logLevel = level
        return logger
    }
}

/// A command with the log options; `SubImportCLI.main` applies its `--log-format` to standard error.
protocol LoggingCommand {
    var log: LogOptions { get }
}

extension ImportCommand: LoggingCommand { var log: LogOptions { common.log } }
extension WatchCommand: LoggingCommand { var log: LogOptions { common.log } }
extension EnqueueCommand: LoggingCommand { var log: LogOptions { common.log } }
extension WorkCommand: LoggingCommand { var log: LogOptions { common.log } }
extension StatusCommand: LoggingCommand {}
extension ReportCommand: LoggingCommand {}
extension RetryCommand: LoggingCommand {}
extension CancelCommand: LoggingCommand {}
extension SandboxCommand: LoggingCommand {}

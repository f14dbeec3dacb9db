import Foundation
import Logging
import SubImport

/// Standard error of this process: the log format chosen by `--log-format` for the whole run,
/// and the lines written there. Set once by `SubImportCLI.main` before the command runs; in JSON
/// format every line written to standard error (logs, errors, progress) is one JSON object.
enum StandardError {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var selected = LogFormat.text

    /// The format of this run's standard error.
    static var format: LogFormat {
        get { lock.withLock { selected } }
        set { lock.withLock { selected = newValue } }
    }

    /// Writes `text` as is, in one `write` (lines of concurrent threads are not interleaved).
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes a message for the operator, control characters escaped (`ControlCharacters`): as
    /// one line with `text` format; as a JSON log line with
    /// `json` format, at `level` (a leading `error: ` or `warning: ` sets the level and is dropped).
    static func message(_ text: String, level: Logger.Level = .notice) {
        let text = ControlCharacters.escaped(text)
        guard format == .json else { return write(text + "\n") }
        var level = level
        var message = text
        for (prefix, prefixLevel) in [("error: ", Logger.Level.error), ("warning: ", .warning)]
        where message.hasPrefix(prefix) {
            level = prefixLevel
            message.removeFirst(prefix.count)
        }
        write(JSONLogHandler.line(level: level, message: message, metadata: [:]))
    }
}

/// Writes a message for the operator to standard error (see `StandardError.message`).
func printError(_ text: String) {
    StandardError.message(text)
}

import Foundation
import Logging
import SubImport

/// A `LogHandler` writing one JSON object a line to standard error.
///
/// Every line has the same keys, in this order: `time` (ISO 8601, UTC, milliseconds), `level`,
/// `message`, `batch`, `file`, `row`, `provider`, `error_class`, `error_code` — `null` when the
/// event has no such value (`row` is a number). Other metadata follows under its own keys, sorted.
/// Only what the call sites put in the message and metadata is written; they never hold a secret.
struct JSONLogHandler: LogHandler {
    /// The metadata keys every line carries, in order.
    static let stableKeys = ["batch", "file", "row", "provider", "error_class", "error_code"]

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(level: Logger.Level) {
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        StandardError.write(Self.line(level: event.level, message: "\(event.message)", metadata: merged))
    }

    /// The JSON line (with its newline) of one event.
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata, time: Date = Date()) -> String {
        var fields: [String] = [
            "\"time\": \(JSONText.quote(timestamp(time)))", "\"level\": \(JSONText.quote(level.rawValue))",
            "\"message\": \(JSONText.quote(message))",
        ]
        for key in stableKeys {
            let value = metadata[key].map { "\($0)" }
            let literal: String
            if let value, key == "row", Int(value) != nil {
                literal = value
            } else {
                literal = value.map(JSONText.quote) ?? "null"
            }
            fields.append("\(JSONText.quote(key)): \(literal)")
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !stableKeys.contains(key) {
            fields.append("\(JSONText.quote(key)): \(JSONText.quote("\(value)"))")
        }
        return "{" + fields.joined(separator: ", ") + "}\n"
    }

    private static func timestamp(_ time: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time)
    }
}

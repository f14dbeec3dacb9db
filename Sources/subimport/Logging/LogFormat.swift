import ArgumentParser

/// How log lines are written to standard error.
enum LogFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Lines for people: `time level label: [metadata] message`.
    case text
    /// One JSON object a line with stable keys (see `JSONLogHandler`).
    case json
}

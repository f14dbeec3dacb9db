/// `# HELP` lines for the metrics `EngineMetrics` and `QueueGauges` record (swift-metrics has no
/// help text, and Prometheus tooling wants one per metric).
enum MetricsHelp {
    static let texts: [String: String] = [
        "subimport_requests_total":
            "Requests answered (or failed without an answer), by provider, failure class and HTTP status.",
        "subimport_request_duration_seconds": "Duration of provider requests.",
        "subimport_limiter_wait_seconds": "Time a worker waited for the account's rate limiter.",
        "subimport_effective_rate":
            "Requests per second the account's rate limiter allows now (0 = unlimited); drops after a 429.",
        "subimport_rows_settled_total": "Rows settled, by provider and status.",
        "subimport_files_total": "Inbox files picked up or rejected.",
        "subimport_rows": "Rows of the account not yet settled, by state.",
        "subimport_oldest_pending_age_seconds":
            "Age of the oldest batch of the account with rows not yet settled (0 when none).",
    ]

    /// `exposition` with a `# HELP` line before each `# TYPE` line of a known metric that has none.
    static func annotate(_ exposition: String) -> String {
        var lines: [Substring] = []
        var previous: Substring = ""
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), !previous.hasPrefix("# HELP "),
                let name = line.dropFirst("# TYPE ".count).split(separator: " ").first,
                let help = texts[String(name)]
            {
                lines.append("# HELP \(name) \(help)")
            }
            lines.append(line)
            previous = line
        }
        return lines.joined(separator: "\n")
    }
}

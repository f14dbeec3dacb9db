import Logging

/// The metadata the engine's log lines carry, under the keys `--log-format json` makes stable:
/// `batch`, `file`, `row`, `provider` (set on the session's logger), `error_class`, `error_code`.
/// Never a secret: only ids, row numbers, file names and the provider's error codes.
extension Logger.Metadata {
    /// A row of a batch.
    static func row(_ job: ClaimedJob) -> Logger.Metadata {
        ["batch": "\(job.batchID)", "row": "\(job.row)"]
    }

    /// A row of a batch and how its answer was classified (the code: the provider's, else the HTTP status).
    static func answer(_ job: ClaimedJob, _ decision: AnswerDecision) -> Logger.Metadata {
        var metadata = row(job)
        metadata["error_class"] = "\(decision.failureClass.rawValue)"
        if let code = decision.errorCode ?? decision.httpStatus.map(String.init) { metadata["error_code"] = "\(code)" }
        return metadata
    }

    /// An inbox file, and the batch it became when known.
    static func file(_ name: String, batch: String? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["file": "\(name)"]
        if let batch { metadata["batch"] = "\(batch)" }
        return metadata
    }
}

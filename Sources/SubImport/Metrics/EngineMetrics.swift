import CoreMetrics

/// The engine's metrics, recorded through swift-metrics: into whatever backend the program
/// bootstrapped (`watch --metrics-listen` bootstraps Prometheus), or nowhere (the default no-op
/// backend, so engine code and its tests need no bootstrap). Labels carry no secret: provider
/// names, account names (the master login), statuses, failure classes and HTTP statuses.
///
/// Names (Prometheus):
/// - `subimport_requests_total{provider, class, http_status}`: every answered request (an attempt);
/// - `subimport_request_duration_seconds{provider}`: histogram of request durations;
/// - `subimport_limiter_wait_seconds{account}`: histogram of the time a worker waited for the rate limiter;
/// - `subimport_effective_rate{account}`: requests per second the limiter allows now (drops after a 429);
/// - `subimport_rows_settled_total{provider, status}`: rows settled (by an answer, or at ingest for
///   `invalid`/`duplicate` rows of files taken by `watch`);
/// - `subimport_files_total{outcome}`: inbox files `picked_up` or `rejected`;
/// - `subimport_rows{state}` and `subimport_oldest_pending_age_seconds`: see `QueueGauges`.
public enum EngineMetrics {
    /// One answered request: its class, HTTP status (`none` without an answer) and duration.
    static func request(provider: String, decision: AnswerDecision, seconds: Double) {
        Counter(
            label: "subimport_requests_total",
            dimensions: [
                ("provider", provider), ("class", decision.failureClass.rawValue),
                ("http_status", decision.httpStatus.map(String.init) ?? "none"),
            ]
        ).increment()
        Timer(label: "subimport_request_duration_seconds", dimensions: [("provider", provider)])
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// A worker waited `seconds` for the rate limiter of `account`, whose effective rate is now `rate`.
    static func limiterWait(account: String, seconds: Double, rate: Double) {
        Timer(label: "subimport_limiter_wait_seconds", dimensions: [("account", account)])
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
        effectiveRate(account: account, rate: rate)
    }

    /// The requests per second the limiter of `account` allows now.
    static func effectiveRate(account: String, rate: Double) {
        Gauge(label: "subimport_effective_rate", dimensions: [("account", account)]).record(rate)
    }

    /// `count` rows of `provider` settled as `status`.
    static func settled(provider: String, status: JobState, count: Int = 1) {
        guard count > 0 else { return }
        Counter(
            label: "subimport_rows_settled_total", dimensions: [("provider", provider), ("status", status.rawValue)]
        ).increment(by: count)
    }

    /// What happened to an inbox file.
    enum FileOutcome: String {
        case pickedUp = "picked_up"
        case rejected
    }

    /// An inbox file was picked up (queued) or rejected.
    static func file(_ outcome: FileOutcome) {
        Counter(label: "subimport_files_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }
}

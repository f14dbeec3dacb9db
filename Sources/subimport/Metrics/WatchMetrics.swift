import CoreMetrics
import Logging
import Prometheus
import SubImport

/// The metrics of one `watch` process: a Prometheus registry that the process's swift-metrics
/// backend writes into, served by a `MetricsEndpoint`.
enum WatchMetrics {
    /// Bootstraps swift-metrics with a Prometheus registry — process-wide and once only, so only
    /// `watch --metrics-listen` calls it, once — and serves it at `address`. Health: the inbox,
    /// worker and report threads of `service` are running and the queue can be written.
    static func serve(at address: ListenAddress, service: InboxService, logger: Logger) async throws -> MetricsEndpoint
    {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30),
        ]
        factory.durationHistogramBuckets["subimport_limiter_wait_seconds"] = [
            .milliseconds(1), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
        let store = service.session.store
        let endpoint = try await MetricsEndpoint.start(
            at: address, registry: registry,
            gauges: QueueGauges(store: store, account: service.session.account.key),
            problems: {
                var problems: [String] = []
                if !service.threadsAlive {
                    problems.append("a thread of watch (inbox, worker or reports) is not running")
                }
                do {
                    try store.checkWritable()
                } catch {
                    problems.append("the queue cannot be written: \(error)")
                }
                return problems
            }, logger: logger)
        let host = address.host.contains(":") ? "[\(address.host)]" : address.host
        logger.info("metrics at http://\(host):\(endpoint.port)/metrics, health at /healthz")
        return endpoint
    }
}

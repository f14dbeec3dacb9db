import Foundation
import Hummingbird
import Logging
import Prometheus
import SubImport
import SubImportSandbox

/// `watch --metrics-listen HOST:PORT`: an HTTP server answering `GET /metrics` with the
/// Prometheus text of `registry` (the queue gauges read just before) and `GET /healthz` with
/// `ok` (200) or the problems found (503), until `stop`.
final class MetricsEndpoint: Sendable {
    private let served: ServedApplication

    /// The bound port (the real one when 0 was asked for).
    var port: Int { served.port }

    private init(served: ServedApplication) {
        self.served = served
    }

    /// Starts serving and returns once the socket listens. `problems` says what is unhealthy
    /// (empty: healthy). Throws when the address cannot be bound.
    static func start(
        at address: ListenAddress, registry: PrometheusCollectorRegistry, gauges: QueueGauges,
        problems: @escaping @Sendable () -> [String], logger: Logger
    ) async throws -> MetricsEndpoint {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            do {
                try gauges.update()
            } catch {
                logger.error("metrics: cannot read the queue: \(error)")
            }
            return Self.text(.ok, MetricsHelp.annotate(registry.emitToString()), type: "text/plain; version=0.0.4")
        }
        router.get("healthz") { _, _ -> Response in
            let found = problems()
            return found.isEmpty
                ? Self.text(.ok, "ok\n") : Self.text(.serviceUnavailable, found.joined(separator: "\n") + "\n")
        }
        var frameworkLogger = logger
        frameworkLogger.logLevel = max(logger.logLevel, .critical)
        let failure = LockedError()
        let served = await ServedApplication.start(logger: frameworkLogger, failure: failure.set) { onServerRunning in
            Application(
                router: router,
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: "subimport"),
                onServerRunning: onServerRunning,
                logger: frameworkLogger)
        }
        guard let served else {
            throw failure.get() ?? SubImportError.io("the metrics server stopped before listening")
        }
        return MetricsEndpoint(served: served)
    }

    /// Stops serving (gracefully: a scrape in progress is answered or closed, never dropped).
    func stop() async {
        await served.stop()
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String, type: String = "text/plain") -> Response {
        Response(
            status: status, headers: [.contentType: type + "; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// An error handed from the server task to the starter.
private final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func set(_ error: any Error) { lock.withLock { self.error = error } }
    func get() -> (any Error)? { lock.withLock { error } }
}

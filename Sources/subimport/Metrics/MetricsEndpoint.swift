import Foundation
import Hummingbird
import Logging
import Prometheus
import SubImport

/// `watch --metrics-listen HOST:PORT`: an HTTP server answering `GET /metrics` with the
/// Prometheus text of `registry` (the queue gauges read just before) and `GET /healthz` with
/// `ok` (200) or the problems found (503), until `stop`.
final class MetricsEndpoint: Sendable {
    /// The bound port (the real one when 0 was asked for).
    let port: Int
    private let task: Task<Void, Never>

    private init(port: Int, task: Task<Void, Never>) {
        self.port = port
        self.task = task
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
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "subimport"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? address.port)
                continuation.finish()
            },
            logger: frameworkLogger)
        let failure = LockedError()
        let task = Task {
            do {
                try await app.run()
            } catch {
                failure.set(error)
            }
            continuation.finish()
        }
        guard let port = await ports.first(where: { _ in true }) else {
            throw failure.get() ?? SubImportError.io("the metrics server stopped before listening")
        }
        return MetricsEndpoint(port: port, task: task)
    }

    /// Stops serving.
    func stop() async {
        task.cancel()
        await task.value
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

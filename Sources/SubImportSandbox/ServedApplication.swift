import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A Hummingbird application served on a task of its own until `stop`, which shuts it down
/// gracefully: every connection already accepted is served or closed. Cancelling the serving
/// task instead could drop a connection accepted a moment before, which NIO traps on ("Deinited
/// NIOAsyncWriter without calling finish()", swift-nio#2813) — in a release build too.
public final class ServedApplication: Sendable {
    /// The bound port (the real one when 0 was asked for).
    public let port: Int
    private let task: Task<Void, Never>
    private let services: ServiceGroup

    private init(port: Int, task: Task<Void, Never>, services: ServiceGroup) {
        self.port = port
        self.task = task
        self.services = services
    }

    /// Serves the application `makeApplication` builds (handing it the `onServerRunning`
    /// callback to install) and returns once its socket listens. Returns nil, with the server
    /// stopped, when it stopped before listening (`failure` then holds why, if it said) or when
    /// the calling task was cancelled first.
    public static func start<App: ApplicationProtocol>(
        logger: Logger, failure: @escaping @Sendable (any Error) -> Void,
        _ makeApplication: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> App
    ) async -> ServedApplication? {
        let (ports, continuation) = AsyncStream.makeStream(of: Int?.self)
        let app = makeApplication { channel in
            continuation.yield(channel.localAddress?.port)
            continuation.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            do {
                try await services.run()
            } catch {
                failure(error)
            }
            continuation.finish()
        }
        let port = await withTaskCancellationHandler {
            await ports.first { _ in true }
        } onCancel: {
            task.cancel()
        }
        guard let port = port ?? nil, !Task.isCancelled else {
            task.cancel()
            await task.value
            return nil
        }
        return ServedApplication(port: port, task: task, services: services)
    }

    /// A server dropped without `stop` shuts down gracefully too, on its own.
    deinit {
        Task { [services] in await services.triggerGracefulShutdown() }
    }

    /// Returns once the server has stopped (after `stop`, or a fatal server error).
    public func waitUntilStopped() async {
        await task.value
    }

    /// Stops serving gracefully (see the type's note) and returns once the server has stopped; a
    /// connection still busy after `gracePeriod` seconds is cut. Idempotent; safe to call
    /// concurrently.
    public func stop(gracePeriod: Double = 10) async {
        await services.triggerGracefulShutdown()
        let task = self.task
        let deadline = Task {
            try await Task.sleep(for: .seconds(gracePeriod))
            task.cancel()
        }
        await task.value
        deadline.cancel()
    }
}

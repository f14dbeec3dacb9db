import Hummingbird
import Logging

/// An in-process HTTP emulator of the Octopush and SMSPartner sub-account APIs, serving on a
/// loopback port until ``stop()``.
///
/// Routes: Octopush `POST /v1/public/subaccount/create`, `PATCH /v1/public/subaccount/{login}/edit`,
/// `GET /v1/public/subaccount/{login}`; SMSPartner `POST /v1/subaccount/create`,
/// `GET /v1/subaccount/list`, `DELETE /v1/subaccount/remove`; `GET /_sandbox/accounts`
/// (JSON array of ``SandboxAccount``, dates in ISO 8601, no credentials needed) and
/// `GET /_sandbox/stats` (``SandboxStats``: `requests`, `inFlight`, `maxInFlight`, `accounts`). Error codes:
/// ``OctopushErrorCode`` and ``SMSPartnerErrorCode``; injected faults: ``SandboxFaultInjector``.
///
/// The server installs no signal handler: the embedding program decides when to call ``stop()``.
/// Requests are logged at `debug` level (method, path, status only — never a query string, a
/// header or a body); Hummingbird's own messages only from `warning` up.
public final class SandboxServer: Sendable {
    /// The configuration the server was started with (its `port` may be 0; see ``port``).
    public let configuration: SandboxConfiguration
    /// The bound TCP port (the actual one when the configuration asked for port 0).
    public let port: Int
    private let environment: SandboxEnvironment
    private let served: ServedApplication

    private init(configuration: SandboxConfiguration, environment: SandboxEnvironment, served: ServedApplication) {
        self.configuration = configuration
        self.port = served.port
        self.environment = environment
        self.served = served
    }

    /// Starts a server and returns once its socket is listening, so ``baseURL`` accepts
    /// connections as soon as this returns.
    ///
    /// - Throws: the bind error when the address cannot be bound (e.g. the port is taken), or
    ///   `CancellationError` when the calling task is cancelled first (the server is then stopped).
    public static func start(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        logger: Logger = Logger(label: "subimport.sandbox")
    ) async throws -> SandboxServer {
        let environment = SandboxEnvironment(configuration: configuration)
        // Hummingbird's own messages only when critical ("Server started", and the cancellation that
        // stop() causes, are noise): the sandbox is
        // often embedded in a command whose output must stay clean.
        var frameworkLogger = logger
        frameworkLogger.logLevel = max(logger.logLevel, .critical)
        let failure = Locked<(any Error)?>(nil)
        let recordFailure: @Sendable (any Error) -> Void = { error in failure.withLock { $0 = error } }
        let served = await ServedApplication.start(logger: frameworkLogger, failure: recordFailure) { onServerRunning in
            Application(
                responder: SandboxResponder(environment: environment, logger: logger),
                configuration: .init(
                    address: .hostname(configuration.host, port: configuration.port), serverName: "subimport-sandbox"),
                onServerRunning: onServerRunning,
                logger: frameworkLogger
            )
        }
        guard let served else {
            try Task.checkCancellation()
            throw failure.withLock { $0 } ?? SandboxServerError.stoppedBeforeListening
        }
        logger.debug(
            "sandbox listening",
            metadata: ["host": .string(configuration.host), "port": .stringConvertible(served.port)])
        return SandboxServer(configuration: configuration, environment: environment, served: served)
    }

    /// `http://HOST:PORT` of the server (IPv6 hosts in brackets), without a trailing slash.
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)"
    }

    /// The live sub-accounts the server created (removed SMSPartner ones excluded), in creation order.
    public func accounts() -> [SandboxAccount] {
        environment.store.all()
    }

    /// The current quota of live sub-accounts per master user (`0` = unlimited).
    public var quota: Int { environment.store.quota }

    /// Changes the quota for the requests that follow (`0` = unlimited; negative reads as `0`).
    public func setQuota(_ quota: Int) {
        environment.store.quota = quota
    }

    /// The number of HTTP requests the server has handled, on every route, including injected
    /// faults and dropped connections; counted once the answer is decided, before it is written.
    public func requestCount() -> Int {
        environment.stats.requests
    }

    /// The requests handled, the provider requests in flight (now and at most) and the live
    /// accounts, as `GET /_sandbox/stats` shows them.
    public func stats() -> SandboxStats {
        environment.stats
    }

    /// Returns once the server has stopped (after ``stop()``, or a fatal server error).
    public func waitUntilStopped() async {
        await served.waitUntilStopped()
    }

    /// Stops serving: closes the listening socket and the open connections, and returns once the
    /// server has stopped. Idempotent; safe to call concurrently. The shutdown is graceful (see
    /// ``ServedApplication``); a connection still busy after `gracePeriod` seconds is cut.
    public func stop(gracePeriod: Double = 10) async {
        await served.stop(gracePeriod: gracePeriod)
    }
}

/// Errors of ``SandboxServer/start(_:logger:)``.
public enum SandboxServerError: Error, Sendable, Equatable {
    /// The server stopped before it was listening, without reporting why.
    case stoppedBeforeListening
}

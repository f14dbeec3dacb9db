import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A raw HTTP answer.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// The body; empty when it was longer than the transport's limit (see `bodyOverLimit`).
    public var body: [UInt8]
    /// The body was longer than `ProviderAnswerLimits.maxBodyBytes` and was not read.
    public var bodyOverLimit = false

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Blocking HTTP over async-http-client, for Dispatch worker threads, with connect and request
/// timeouts. Failures are sorted into "the request never left" and "it may have reached the server".
/// Answer bodies are read up to `ProviderAnswerLimits.maxBodyBytes` and no further.
public final class HTTPTransport: Sendable {
    public let connectTimeout: Double
    public let requestTimeout: Double
    private let client: HTTPClient

    /// - Parameter connectionsPerHost: connections kept open to one host at once, so that as many
    ///   requests can be in flight (async-http-client's default is 8); pass the worker count.
    public init(connectTimeout: Double = 10, requestTimeout: Double = 30, connectionsPerHost: Int = 8) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        var configuration = HTTPClient.Configuration(
            timeout: .init(
                connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(requestTimeout * 1000)))
        )
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends one request and waits for the whole answer. Must not be called on an event loop.
    /// A body longer than `ProviderAnswerLimits.maxBodyBytes` is not read: the answer comes back
    /// with its status and headers, an empty body and `bodyOverLimit` set.
    public func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?) -> Result<
        HTTPAnswer, TransportFailure
    > {
        do {
            var request = try HTTPClient.Request(url: url, method: HTTPMethod(rawValue: method))
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(body) }
            let deadline = NIODeadline.now() + .milliseconds(Int64((connectTimeout + requestTimeout) * 1000))
            let collector = CappedAnswerCollector(limit: ProviderAnswerLimits.maxBodyBytes)
            return .success(try client.execute(request: request, delegate: collector, deadline: deadline).wait())
        } catch let overLimit as CappedAnswerCollector.AnswerBodyOverLimit {
            return .success(
                HTTPAnswer(status: overLimit.status, headers: overLimit.headers, body: [], bodyOverLimit: true))
        } catch {
            return .failure(Self.classify(error))
        }
    }

    /// Stops the HTTP client; call once when done.
    public func shutdown() {
        try? client.syncShutdown()
    }

    /// Whether `error` certainly happened before the request was written to the network.
    static func classify(_ error: any Error) -> TransportFailure {
        let text = String(describing: error)
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .invalidURL, .emptyHost,
                .emptyScheme, .alreadyShutdown, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                return TransportFailure(requestSent: false, message: "not sent: \(text)")
            default:
                return TransportFailure(requestSent: true, message: "no complete answer: \(text)")
            }
        }
        if error is NIOConnectionError || error is ChannelError && text.contains("connect") {
            return TransportFailure(requestSent: false, message: "not sent: \(text)")
        }
        if let ioError = error as? IOError,
            [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(ioError.errnoCode)
        {
            return TransportFailure(requestSent: false, message: "not sent: \(text)")
        }
        if text.contains("NIOSSL") || text.contains("resolution") {
            return TransportFailure(requestSent: false, message: "not sent: \(text)")
        }
        return TransportFailure(requestSent: true, message: "no complete answer: \(text)")
    }
}

/// A request that got no HTTP answer.
public struct TransportFailure: Error, Sendable {
    /// False when the request certainly never reached the server.
    public var requestSent: Bool
    public var message: String
}

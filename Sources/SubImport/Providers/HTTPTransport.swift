import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A raw HTTP answer.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Blocking HTTP over async-http-client, for Dispatch worker threads, with connect and request
/// timeouts. Failures are sorted into "the request never left" and "it may have reached the server".
public final class HTTPTransport: Sendable {
    public let connectTimeout: Double
    public let requestTimeout: Double
    private let client: HTTPClient

    public init(connectTimeout: Double = 10, requestTimeout: Double = 30) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        var configuration = HTTPClient.Configuration(
            timeout: .init(
                connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(requestTimeout * 1000)))
        )
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends one request and waits for the whole answer. Must not be called on an event loop.
    public func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?) -> Result<
        HTTPAnswer, TransportFailure
    > {
        do {
            var request = try HTTPClient.Request(url: url, method: HTTPMethod(rawValue: method))
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(body) }
            let deadline = NIODeadline.now() + .milliseconds(Int64((connectTimeout + requestTimeout) * 1000))
            let response = try client.execute(request: request, deadline: deadline).wait()
            let bytes = response.body.map { Array($0.readableBytesView) } ?? []
            return .success(
                HTTPAnswer(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                    body: bytes))
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

import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// HTTP/1.1 over SwiftNIO for Dispatch code (blocking, or answered onto a Dispatch queue), with
/// connect and request timeouts, on keep-alive connections (`HTTPConnectionPool`, one per
/// origin). Failures are sorted into "the request never left" and "it may have reached the
/// server". Answer bodies are read up to `ProviderAnswerLimits.maxBodyBytes` and no further.
/// Redirects are not followed and answers are not decompressed: an answer is what the server sent.
public final class HTTPTransport: Sendable {
    public let connectTimeout: Double
    public let requestTimeout: Double
    private let connectionsPerHost: Int
    /// `requestTimeout` as NIO counts time.
    private let answerTimeout: TimeAmount
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let pools = Mutex<[HTTPTarget.Origin: HTTPConnectionPool]>([:])
    private let tls = Mutex<Result<NIOSSLContext, TransportFailure>?>(nil)
    /// The last URL split, and its parts: an import sends every row to the same URL.
    private let lastTarget = Mutex<(url: String, target: HTTPTarget)?>(nil)

    /// - Parameter connectionsPerHost: connections kept open to one origin at once, so that as
    ///   many requests can be in flight; pass the worker count.
    public init(connectTimeout: Double = 10, requestTimeout: Double = 30, connectionsPerHost: Int = 8) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.connectionsPerHost = max(1, connectionsPerHost)
        answerTimeout = .milliseconds(Int64(requestTimeout * 1000))
    }

    /// Sends one request and waits for the whole answer. Must not be called on an event loop.
    /// A body longer than `ProviderAnswerLimits.maxBodyBytes` is not read: the answer comes back
    /// with its status and headers, an empty body and `bodyOverLimit` set.
    public func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?) -> Result<
        HTTPAnswer, TransportFailure
    > {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<HTTPAnswer, TransportFailure>?>(nil)
        start(method: method, url: url, headers: headers, body: body) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0! }
    }

    /// Sends one request without blocking and calls `completion` once, on `queue`, with the
    /// whole answer (or the failure), as `send` would return it. No thread waits meanwhile: the
    /// answer is read on an event loop, then `completion` is queued on `queue`.
    public func send(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, completingOn queue: DispatchQueue,
        _ completion: @escaping @Sendable (Result<HTTPAnswer, TransportFailure>) -> Void
    ) {
        start(method: method, url: url, headers: headers, body: body) { result in
            queue.async { completion(result) }
        }
    }

    /// `HTTPTarget(url)`, split once for a run of requests to the same URL.
    private func target(of url: String) -> HTTPTarget? {
        if let last = lastTarget.withLock({ $0 }), last.url == url { return last.target }
        guard let target = HTTPTarget(url) else { return nil }
        lastTarget.withLock { $0 = (url, target) }
        return target
    }

    /// Connections to the origin of `url` open and waiting for a request (0 when none was made).
    func idleConnections(to url: String) -> Int {
        guard let origin = HTTPTarget(url)?.origin else { return 0 }
        return pools.withLock { $0[origin]?.idleConnections ?? 0 }
    }

    /// Stops sending: idle connections close, later requests fail as never sent.
    public func shutdown() {
        let all = pools.withLock { pools in
            defer { pools = [:] }
            return Array(pools.values)
        }
        for pool in all { pool.shutdown() }
    }

    /// Sends one request on a connection of its origin's pool; `deliver` runs once, on an event
    /// loop (or on the caller's thread when the request cannot start).
    private func start(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?,
        deliver: @escaping @Sendable (Result<HTTPAnswer, TransportFailure>) -> Void
    ) {
        guard let target = target(of: url) else {
            deliver(.failure(.notSent("not an http(s) URL")))
            return
        }
        let pool: HTTPConnectionPool
        switch self.pool(for: target.origin) {
        case .failure(let failure):
            deliver(.failure(failure))
            return
        case .success(let found):
            pool = found
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target.requestTarget)
        head.headers.reserveCapacity(headers.count + 2)
        head.headers.add(name: "Host", value: target.origin.hostHeader)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        Self.exchange(head, body: body, on: pool, timeout: answerTimeout, freshTries: 2, deliver: deliver)
    }

    /// Runs one exchange on a leased connection; a connection found closed while idle is given
    /// back and the request goes on another (nothing was written on it), `freshTries` times at most.
    private static func exchange(
        _ head: HTTPRequestHead, body: [UInt8]?, on pool: HTTPConnectionPool, timeout: TimeAmount, freshTries: Int,
        deliver: @escaping @Sendable (Result<HTTPAnswer, TransportFailure>) -> Void
    ) {
        pool.lease { lease in
            switch lease {
            case .failure(let failure):
                deliver(.failure(failure))
            case .success(let connection):
                connection.exchange(head, body: body, timeout: timeout) { outcome in
                    switch outcome {
                    case .answered(let answer, let reusable):
                        pool.release(connection, reusable: reusable)
                        deliver(.success(answer))
                    case .failed(let failure):
                        pool.release(connection, reusable: false)
                        deliver(.failure(failure))
                    case .stale:
                        pool.release(connection, reusable: false)
                        if freshTries > 0 {
                            exchange(
                                head, body: body, on: pool, timeout: timeout, freshTries: freshTries - 1,
                                deliver: deliver)
                        } else {
                            deliver(.failure(.notSent("the connection closed")))
                        }
                    }
                }
            }
        }
    }

    /// The pool of `origin`'s connections, made on first use (the TLS context is looked at only
    /// then, not for every request).
    private func pool(for origin: HTTPTarget.Origin) -> Result<HTTPConnectionPool, TransportFailure> {
        if let pool = pools.withLock({ $0[origin] }) { return .success(pool) }
        let tls: NIOSSLContext?
        if origin.secure {
            switch tlsContext() {
            case .failure(let failure): return .failure(failure)
            case .success(let context): tls = context
            }
        } else {
            tls = nil
        }
        return .success(
            pools.withLock { pools in
                if let pool = pools[origin] { return pool }
                let pool = HTTPConnectionPool(
                    origin: origin, limit: connectionsPerHost, group: group,
                    connectTimeout: .milliseconds(Int64(connectTimeout * 1000)), tls: tls)
                pools[origin] = pool
                return pool
            })
    }

    /// The TLS client context (system trust roots, certificate and host name verified), made once.
    private func tlsContext() -> Result<NIOSSLContext, TransportFailure> {
        tls.withLock { tls in
            if let tls { return tls }
            let made = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }
                .mapError { TransportFailure.notSent("TLS is unavailable: \($0)") }
            tls = made
            return made
        }
    }
}

/// A request that got no HTTP answer.
public struct TransportFailure: Error, Sendable {
    /// False when the request certainly never reached the server.
    public var requestSent: Bool
    public var message: String

    /// The request certainly never reached the server, because of `reason`.
    static func notSent(_ reason: String) -> TransportFailure {
        TransportFailure(requestSent: false, message: "not sent: \(reason)")
    }

    /// The request may have reached the server, but no whole answer came back, because of `reason`.
    static func noCompleteAnswer(_ reason: String) -> TransportFailure {
        TransportFailure(requestSent: true, message: "no complete answer: \(reason)")
    }
}

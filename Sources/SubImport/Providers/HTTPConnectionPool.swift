import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The keep-alive connections to one origin: at most `limit` open at once, each carrying one
/// request at a time, reused while the server keeps them open.
///
/// Guarantees: `lease` hands each request a connection of its own (an idle one, else a new one
/// while fewer than `limit` are open, else the first one given back), so `limit` requests can be
/// in flight at once and never more; a connection that fails to open counts as never sent; after
/// `shutdown` no request is sent.
final class HTTPConnectionPool: Sendable {
    /// What `lease` gives: a connection, or why there is none (the request was never sent).
    typealias Lease = Result<HTTPConnection, TransportFailure>

    let origin: HTTPTarget.Origin
    let limit: Int
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let tls: NIOSSLContext?
    private let state = Mutex(State())

    private struct State {
        var idle: [HTTPConnection] = []
        /// Connections open or opening.
        var open = 0
        /// Requests waiting for a connection, first come first served.
        var waiting: [@Sendable (Lease) -> Void] = []
        var closed = false
    }

    /// What a lease comes to once the lock is released.
    private enum Grant {
        case reuse(HTTPConnection)
        case open
        case wait
        case refuse
    }

    init(
        origin: HTTPTarget.Origin, limit: Int, group: any EventLoopGroup, connectTimeout: TimeAmount,
        tls: NIOSSLContext?
    ) {
        self.origin = origin
        self.limit = max(1, limit)
        self.group = group
        self.connectTimeout = connectTimeout
        self.tls = tls
    }

    /// Calls `body` once with a connection for one request (to be given back with `release`),
    /// or with the failure that kept one from opening.
    func lease(_ body: @escaping @Sendable (Lease) -> Void) {
        let grant: Grant = state.withLock { state in
            if state.closed { return .refuse }
            if let connection = state.idle.popLast() { return .reuse(connection) }
            if state.open < limit {
                state.open += 1
                return .open
            }
            state.waiting.append(body)
            return .wait
        }
        switch grant {
        case .reuse(let connection): body(.success(connection))
        case .open: connect(body)
        case .wait: break
        case .refuse:
            body(.failure(.notSent("the client was shut down")))
        }
    }

    /// Gives back a leased connection: kept for the next request when `reusable` (and still
    /// open), else closed.
    func release(_ connection: HTTPConnection, reusable: Bool) {
        let keep = reusable && connection.isActive
        let (next, kept): (Handover, Bool) = state.withLock { state in
            if keep && !state.closed {
                if !state.waiting.isEmpty { return (.reuse(by: state.waiting.removeFirst()), true) }
                state.idle.append(connection)
                return (.none, true)
            }
            return (Self.freeSlot(&state).map { .openFor($0) } ?? .none, false)
        }
        if !kept { connection.close() }
        switch next {
        case .reuse(let waiter): waiter(.success(connection))
        case .openFor(let waiter): connect(waiter)
        case .none: break
        }
    }

    /// Who a given-back connection's place goes to.
    private enum Handover {
        /// A waiting request takes the connection itself.
        case reuse(by: @Sendable (Lease) -> Void)
        /// The connection closed: a waiting request opens one in its place.
        case openFor(@Sendable (Lease) -> Void)
        case none
    }

    /// Connections open and waiting for a request.
    var idleConnections: Int {
        state.withLock { $0.idle.count }
    }

    /// Closes the idle connections and sends nothing more (requests in flight finish).
    func shutdown() {
        let (idle, waiting) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiting = []
            }
            return (state.idle, state.waiting)
        }
        for connection in idle { connection.close() }
        for waiter in waiting {
            waiter(.failure(.notSent("the client was shut down")))
        }
    }

    /// A connection closed by the server while idle leaves the pool.
    private func dropIdle(_ connection: HTTPConnection) {
        state.withLock { state in
            guard let index = state.idle.firstIndex(where: { $0 === connection }) else { return }
            state.idle.remove(at: index)
            state.open -= 1
        }
    }

    /// Opens a connection (one of `open` already counted) and hands it to `body` once it can
    /// carry a request: connected, and over TLS with its handshake done, both within the
    /// connect timeout. Nothing is sent on it before: any failure until then counts as never sent.
    private func connect(_ body: @escaping @Sendable (Lease) -> Void) {
        let tls = self.tls
        let serverName = Self.serverName(origin.host)
        let connectTimeout = self.connectTimeout
        ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(
                        HTTPAnswerReader(established: channel.eventLoop.makePromise(), tls: tls != nil))
                }
            }
            .connect(host: origin.host, port: origin.port)
            .flatMap { channel -> EventLoopFuture<HTTPConnection> in
                // On the channel's event loop: its handlers may be used here.
                let reader: NIOLoopBound<HTTPAnswerReader>
                do {
                    reader = NIOLoopBound(
                        try channel.pipeline.syncOperations.handler(type: HTTPAnswerReader.self),
                        eventLoop: channel.eventLoop)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                // A handshake not done within the connect timeout closes the connection.
                let late = channel.eventLoop.scheduleTask(in: connectTimeout) { channel.close(promise: nil) }
                return reader.value.established.futureResult
                    .always { _ in late.cancel() }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
                    .map {
                        HTTPConnection(channel: channel, reader: reader.value) { [weak self] in self?.dropIdle($0) }
                    }
            }
            .whenComplete { result in
                switch result {
                case .success(let connection):
                    body(.success(connection))
                case .failure(let error):
                    self.failedToOpen()
                    body(.failure(.notSent("\(error)")))
                }
            }
    }

    /// A connection counted in `open` failed to open: its place may go to a waiting request.
    private func failedToOpen() {
        if let waiter = state.withLock({ Self.freeSlot(&$0) }) { connect(waiter) }
    }

    /// Gives up one of `open`'s places; returns the waiting request that takes it over to open
    /// a connection (counted in `open` again), if there is one and the pool is not shut down.
    private static func freeSlot(_ state: inout State) -> (@Sendable (Lease) -> Void)? {
        state.open -= 1
        guard !state.closed, !state.waiting.isEmpty else { return nil }
        state.open += 1
        return state.waiting.removeFirst()
    }

    /// The name sent for TLS's server name indication: none for an IP address.
    private static func serverName(_ host: String) -> String? {
        host.contains(Character(":")) || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
    }
}

import NIOCore
import NIOHTTP1
import NIOTLS

/// How one exchange on a connection ended.
enum HTTPExchangeOutcome: Sendable {
    /// A whole answer (its body cut to nothing when over the limit); `reusable` when the
    /// connection may carry the next request.
    case answered(HTTPAnswer, reusable: Bool)
    /// No complete answer.
    case failed(TransportFailure)
    /// The connection had closed while idle: nothing was written, the request may go on another.
    case stale
}

/// One keep-alive HTTP/1.1 connection, carrying one request at a time.
///
/// Guarantees: the completion of `exchange` runs exactly once, on the connection's event loop;
/// no more than `ProviderAnswerLimits.maxBodyBytes` of an answer's body is ever held (a longer
/// body closes the connection and comes back as `bodyOverLimit`); an answer not complete within
/// its timeout of the request being written closes the connection and fails the request as
/// possibly sent.
final class HTTPConnection: Sendable {
    let channel: any Channel
    private let reader: NIOLoopBound<HTTPAnswerReader>

    /// Wraps a connected `channel` whose pipeline ends with `reader`; `onIdleClose` runs (on the
    /// event loop) when the connection closes while no request is in flight. Call on the
    /// channel's event loop.
    init(channel: any Channel, reader: HTTPAnswerReader, onIdleClose: @escaping @Sendable (HTTPConnection) -> Void) {
        self.channel = channel
        self.reader = NIOLoopBound(reader, eventLoop: channel.eventLoop)
        reader.onIdleClose = { [weak self] in if let self { onIdleClose(self) } }
    }

    /// Whether the connection is still open (it may close at any moment after).
    var isActive: Bool { channel.isActive }

    /// Sends `head` and `body`, then reads the answer for `timeout` at most; `completion` hears
    /// how it ended, on the event loop.
    func exchange(
        _ head: HTTPRequestHead, body: [UInt8]?, timeout: TimeAmount,
        completion: @escaping @Sendable (HTTPExchangeOutcome) -> Void
    ) {
        if channel.eventLoop.inEventLoop {
            reader.value.start(head, body: body, timeout: timeout, completion: completion)
        } else {
            channel.eventLoop.execute { [reader] in
                reader.value.start(head, body: body, timeout: timeout, completion: completion)
            }
        }
    }

    /// Closes the connection (a request in flight fails as possibly sent).
    func close() {
        channel.close(promise: nil)
    }
}

/// The last handler of a connection's pipeline: writes a request and collects its answer,
/// within the body limit. Used on its channel's event loop only.
final class HTTPAnswerReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// Runs when the connection closes with no request in flight.
    var onIdleClose: (() -> Void)?
    /// Completed once the connection can carry a request: at once in plain HTTP, after the TLS
    /// handshake over TLS (a failed handshake fails it: nothing was sent).
    let established: EventLoopPromise<Void>
    private let awaitsHandshake: Bool
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?

    /// - Parameter tls: whether a TLS handler before this one must finish its handshake first.
    init(established: EventLoopPromise<Void>, tls: Bool) {
        self.established = established
        awaitsHandshake = tls
        if !tls { established.succeed() }
    }

    /// The request in flight.
    private struct Exchange {
        var completion: @Sendable (HTTPExchangeOutcome) -> Void
        var timeout: Scheduled<Void>?
        var head: HTTPResponseHead?
        var body: [UInt8] = []
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes the request, unless the connection closed while idle (`.stale`, nothing written).
    func start(
        _ head: HTTPRequestHead, body: [UInt8]?, timeout: TimeAmount,
        completion: @escaping @Sendable (HTTPExchangeOutcome) -> Void
    ) {
        guard let context, context.channel.isActive, exchange == nil else {
            completion(.stale)
            return
        }
        exchange = Exchange(completion: completion)
        exchange?.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.finish(.failed(.noCompleteAnswer("timed out")))
            context.close(promise: nil)
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, !body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else {
            // An answer nobody asked for: the connection cannot be trusted any more.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            exchange?.head = head
            if let length = head.headers.first(name: "Content-Length").flatMap({ Int($0) }) {
                if length > ProviderAnswerLimits.maxBodyBytes {
                    overLimit(context: context)
                } else {
                    exchange?.body.reserveCapacity(length)
                }
            }
        case .body(let buffer):
            guard let received = exchange?.body.count else { return }
            if received + buffer.readableBytes > ProviderAnswerLimits.maxBodyBytes {
                overLimit(context: context)
            } else {
                exchange?.body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head = exchange?.head else {
                finish(.failed(.noCompleteAnswer("no status line")))
                context.close(promise: nil)
                return
            }
            finish(.answered(HTTPAnswer(head, body: exchange?.body ?? []), reusable: head.isKeepAlive))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if awaitsHandshake, case .handshakeCompleted = event as? TLSUserEvent { established.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        established.fail(ChannelError.ioOnClosedChannel)
        if exchange != nil {
            finish(.failed(.noCompleteAnswer("the connection closed before the answer ended")))
        } else {
            onIdleClose?()
        }
        onIdleClose = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        established.fail(error)
        finish(.failed(.noCompleteAnswer("\(error)")))
        context.close(promise: nil)
    }

    /// The body is longer than the limit: answer with what came before it and stop reading.
    private func overLimit(context: ChannelHandlerContext) {
        guard let head = exchange?.head else { return }
        finish(.answered(HTTPAnswer(head, body: [], bodyOverLimit: true), reusable: false))
        context.close(promise: nil)
    }

    /// Ends the exchange in flight, if any, with `outcome`.
    private func finish(_ outcome: HTTPExchangeOutcome) {
        guard let ended = exchange else { return }
        exchange = nil
        ended.timeout?.cancel()
        ended.completion(outcome)
    }
}

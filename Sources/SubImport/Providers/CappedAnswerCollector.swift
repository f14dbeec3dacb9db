import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Collects one HTTP answer's status, headers and body, reading at most `limit` body bytes:
/// once the body is known to be longer (by its `Content-Length` or the bytes received), the
/// request is failed with ``AnswerBodyOverLimit`` and nothing more is read, so memory never
/// grows past the limit whatever the server sends.
final class CappedAnswerCollector: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = HTTPAnswer

    /// The request failed because the body is longer than the limit; carries what came before.
    struct AnswerBodyOverLimit: Error {
        var status: Int
        var headers: [(String, String)]
    }

    private let limit: Int
    private let lock = NSLock()
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    func didReceiveHead(task: HTTPClient.Task<HTTPAnswer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        lock.withLock { self.head = head }
        if let length = head.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > limit {
            return task.eventLoop.makeFailedFuture(overLimit(head))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<HTTPAnswer>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let overflow: AnswerBodyOverLimit? = lock.withLock {
            guard body.count + buffer.readableBytes <= limit else {
                body = []
                return head.map(overLimit) ?? AnswerBodyOverLimit(status: 0, headers: [])
            }
            body.append(contentsOf: buffer.readableBytesView)
            return nil
        }
        if let overflow { return task.eventLoop.makeFailedFuture(overflow) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<HTTPAnswer>) throws -> HTTPAnswer {
        try lock.withLock {
            guard let head else { throw HTTPClientError.remoteConnectionClosed }
            return HTTPAnswer(
                status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: body)
        }
    }

    private func overLimit(_ head: HTTPResponseHead) -> AnswerBodyOverLimit {
        AnswerBodyOverLimit(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) })
    }
}

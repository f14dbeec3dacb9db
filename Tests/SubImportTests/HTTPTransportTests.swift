import Dispatch
import Foundation
import Testing

@testable import SubImport

/// The HTTP client of the send path against real loopback servers: keep-alive reuse, a
/// connection the server closed while idle, the connection limit, and URL splitting.
@Suite struct HTTPTransportTests {
    private static let created = HostileServer.Answer(status: 201, body: #"{"api_key":"k","api_login":"l"}"#)

    @Test func requestsInTurnShareOneKeptAliveConnection() throws {
        let server = try HostileServer([Self.created], handling: .keepAlive)
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        for _ in 0..<20 {
            let answer = try transport.send(method: "POST", url: server.baseURL + "/x", headers: [], body: [1]).get()
            #expect(answer.status == 201)
            #expect(answer.body == Array(Self.created.body.utf8))
        }
        #expect(server.connectionsAccepted == 1)
    }

    /// A server that closes an idle kept-alive connection (as servers do after their keep-alive
    /// timeout) without saying so: the connection leaves the pool and the next request goes on a
    /// new one instead of failing as possibly sent. (A close that crosses the request on the
    /// wire cannot be told apart from a server failing mid-request: that one stays ambiguous, so
    /// each request here is sent once the client has seen the previous connection close.)
    @Test func aConnectionClosedByTheServerWhileIdleIsNotAFailureOfTheNextRequest() async throws {
        let server = try HostileServer([Self.created], handling: .closeSilently)
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        for index in 0..<20 {
            let result = transport.send(method: "POST", url: server.baseURL + "/x", headers: [], body: [1])
            #expect((try? result.get().status) == 201, "request \(index): \(result)")
            #expect(await waitFor(seconds: 10) { transport.idleConnections(to: server.baseURL) == 0 })
        }
        #expect(server.connectionsAccepted == 20)
    }

    @Test func anAnswerAnnouncingTheCloseIsReadAndTheNextRequestOpensAnother() throws {
        let server = try HostileServer([Self.created])
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        for _ in 0..<3 {
            #expect(
                try transport.send(method: "GET", url: server.baseURL + "/x", headers: [], body: nil).get().status
                    == 201)
        }
        #expect(server.connectionsAccepted == 3)
    }

    @Test func atMostTheConnectionLimitIsOpenAndEveryRequestIsAnswered() throws {
        let server = try HostileServer([Self.created], handling: .keepAlive)
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5, connectionsPerHost: 3)
        defer { transport.shutdown() }
        let answers = DispatchQueue(label: "answers")
        let done = DispatchGroup()
        let statuses = Locked<[Int]>([])
        for _ in 0..<30 {
            done.enter()
            transport.send(method: "POST", url: server.baseURL + "/x", headers: [], body: [1], completingOn: answers) {
                result in
                statuses.withLock { $0.append((try? result.get().status) ?? -1) }
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(statuses.withLock { $0 } == Array(repeating: 201, count: 30))
        #expect((1...3).contains(server.connectionsAccepted))
    }

    /// A server that answers the TLS client hello in plain HTTP: the handshake fails, so the
    /// request was never sent (it would be sent again without a `possible duplicate` note).
    @Test func aFailedTLSHandshakeMeansTheRequestWasNotSent() throws {
        let (listener, port) = try LoopbackListener.open()
        let served = DispatchSemaphore(value: 0)
        Thread {
            let connection = accept(listener, nil, nil)
            if connection >= 0 {
                var hello = [UInt8](repeating: 0, count: 512)
                _ = read(connection, &hello, hello.count)
                let plain = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
                _ = plain.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                close(connection)
            }
            served.signal()
        }.start()
        defer { close(listener) }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        let result = transport.send(method: "POST", url: "https://127.0.0.1:\(port)/x", headers: [], body: [1])
        #expect(served.wait(timeout: .now() + 10) == .success)
        guard case .failure(let failure) = result else {
            Issue.record("a plain-text server completed a TLS exchange: \(result)")
            return
        }
        #expect(!failure.requestSent, "\(failure.message)")
    }

    @Test func urlsAreSplitIntoOriginAndRequestTarget() throws {
        let plain = try #require(HTTPTarget("http://127.0.0.1:8080/v1/a?b=c#frag"))
        #expect(plain.origin == .init(secure: false, host: "127.0.0.1", port: 8080))
        #expect(plain.requestTarget == "/v1/a?b=c")
        #expect(plain.origin.hostHeader == "127.0.0.1:8080")
        let secure = try #require(HTTPTarget("https://api.example.com"))
        #expect(secure.origin == .init(secure: true, host: "api.example.com", port: 443))
        #expect(secure.requestTarget == "/")
        #expect(secure.origin.hostHeader == "api.example.com")
        let ipv6 = try #require(HTTPTarget("http://[::1]:9/x"))
        #expect(ipv6.origin.host == "::1")
        #expect(ipv6.origin.hostHeader == "[::1]:9")
        #expect(HTTPTarget("ftp://example.com/") == nil)
        #expect(HTTPTarget("http://user:pw@example.com/") == nil)
        #expect(HTTPTarget("http://example.com:99999/") == nil)
        #expect(HTTPTarget("http:///x") == nil)
    }
}

/// A value guarded by a lock, for test callbacks.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.withLock { body(&value) }
    }
}

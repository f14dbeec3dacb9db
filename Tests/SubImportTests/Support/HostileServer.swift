import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTP/1.1 server on a free loopback port that gives scripted, possibly hostile answers:
/// the n-th request gets the n-th answer of the script, and the last answer repeats. Every
/// answer closes its connection, unless the server is made with another `ConnectionHandling`.
final class HostileServer: @unchecked Sendable {
    /// What the server does with a connection once it has answered on it.
    enum ConnectionHandling: Sendable {
        /// Closes it, saying so in the answer (`Connection: close`).
        case closeAnnounced
        /// Closes it without saying so: a client keeping it for the next request finds it closed.
        case closeSilently
        /// Keeps it open for the connection's next request (each connection on its own thread).
        case keepAlive
    }

    /// One scripted answer: the status, extra header lines and the raw body.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: String = ""
        /// Read the request and never answer it: the connection stays open until `stop`.
        var hangs = false
    }

    let port: Int
    private let socketFD: Int32
    private let lock = NSLock()
    private let script: [Answer]
    private var served: [Int] = []
    private var accepted = 0
    private let finished = DispatchSemaphore(value: 0)
    /// Signalled by `stop`: requests left hanging give up.
    private let hangsEnd = DispatchSemaphore(value: 0)
    private let handling: ConnectionHandling

    /// Starts listening on 127.0.0.1 and answering with `script` (at least one answer).
    init(_ script: [Answer], handling: ConnectionHandling = .closeAnnounced) throws {
        precondition(!script.isEmpty)
        self.script = script
        self.handling = handling
        (socketFD, port) = try LoopbackListener.open()
        Thread { [self] in acceptLoop() }.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Statuses answered so far, in order.
    var answered: [Int] { lock.withLock { served } }

    /// Connections accepted so far.
    var connectionsAccepted: Int { lock.withLock { accepted } }

    /// Stops listening and waits for the accept loop to end.
    func stop() {
        hangsEnd.signal()
        shutdown(socketFD, Int32(SHUT_RDWR))
        finished.wait()
        close(socketFD)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while true {
            let connection = accept(socketFD, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return
            }
            lock.withLock { accepted += 1 }
            if handling == .keepAlive {
                Thread { [self] in
                    while serve(connection) {}
                    close(connection)
                }.start()
            } else {
                serve(connection)
                close(connection)
            }
        }
    }

    /// Reads one request (headers and a `Content-Length` body) and writes the next answer;
    /// false when the connection ended first or could not be written.
    @discardableResult
    private func serve(_ connection: Int32) -> Bool {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var expected: Int?
        while expected.map({ received.count < $0 }) ?? true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return false }
            received += buffer[0..<count]
            if expected == nil, let end = Self.headerEnd(received) {
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = end + 4 + length
            }
        }
        let answer = lock.withLock {
            let answer = script[min(served.count, script.count - 1)]
            served.append(answer.status)
            return answer
        }
        if answer.hangs {
            hangsEnd.wait()
            hangsEnd.signal()  // for the next one left hanging
            return false
        }
        let body = Array(answer.body.utf8)
        var head = "HTTP/1.1 \(answer.status) Scripted\r\nContent-Length: \(body.count)\r\n"
        if handling == .closeAnnounced { head += "Connection: close\r\n" }
        for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// Waits until `condition` holds, checking every 10 ms, for at most `seconds`. Returns whether it held.
func waitFor(seconds: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return try condition()
}

/// The result of work started on its own thread, read without blocking (nil until it ends).
final class BackgroundWork<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: T?

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> T) {
        Thread { [self] in
            let value = body()
            lock.withLock { result = value }
        }.start()
    }

    var value: T? { lock.withLock { result } }
}

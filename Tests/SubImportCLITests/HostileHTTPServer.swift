import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTP/1.1 server on a free loopback port whose answers a test writes byte by byte,
/// including what no sane provider would send (a body of many megabytes, in chunks). Each
/// connection is served on its own thread and closed after one answer.
final class HostileHTTPServer: @unchecked Sendable {
    /// One request as received.
    struct Request: Sendable {
        var method: String
        /// The request target: path and query.
        var target: String
        var body: [UInt8]
    }

    /// The client side of one connection, for writing an answer.
    struct Connection: Sendable {
        fileprivate let socket: Int32

        /// Writes `bytes` whole; false once the client has gone (never raises SIGPIPE).
        @discardableResult
        func write(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let written = bytes.withUnsafeBytes {
                    send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                }
                if written <= 0 { return false }
                sent += written
            }
            return true
        }

        @discardableResult
        func write(_ text: String) -> Bool { write(Array(text.utf8)) }

        /// Writes a complete answer with a `Content-Length` body.
        func answer(status: Int, json: String, headers: [String] = []) {
            let head =
                ([
                    "HTTP/1.1 \(status) X", "Content-Type: application/json", "Content-Length: \(json.utf8.count)",
                    "Connection: close",
                ] + headers).joined(separator: "\r\n")
            write(head + "\r\n\r\n" + json)
        }

        /// Writes a chunked answer whose body is `prefix`, then `fillerBytes` bytes of `A` in
        /// 64 KiB chunks, then `suffix`; stops early when the client goes. Returns the filler
        /// bytes written before it went.
        @discardableResult
        func streamChunked(status: Int, prefix: String, fillerBytes: Int, suffix: String) -> Int {
            let head = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            guard write(head + "Connection: close\r\n\r\n"), writeChunk(Array(prefix.utf8)) else { return 0 }
            let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
            var written = 0
            while written < fillerBytes {
                let part = min(chunk.count, fillerBytes - written)
                guard writeChunk(part == chunk.count ? chunk : Array(chunk[..<part])) else { return written }
                written += part
            }
            _ = writeChunk(Array(suffix.utf8)) && write("0\r\n\r\n")
            return written
        }

        private func writeChunk(_ bytes: [UInt8]) -> Bool {
            write(String(bytes.count, radix: 16) + "\r\n") && write(bytes) && write("\r\n")
        }
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var received: [Request] = []

    /// Starts serving; `respond` writes the answer to each request.
    init(_ respond: @escaping @Sendable (Request, Connection) -> Void) throws {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listening, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listening, 64) == 0 else {
            close(listening)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listening, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = listening
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listening, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { [self] in
                    if let request = Self.readRequest(client) {
                        lock.withLock { received.append(request) }
                        respond(request, Connection(socket: client))
                    }
                    close(client)
                }
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The requests received so far, in arrival order.
    var requests: [Request] { lock.withLock { received } }

    /// Stops accepting connections.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Reads one request head and its `Content-Length` body; nil when the client went first.
    private static func readRequest(_ socket: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let separator: [UInt8] = [13, 10, 13, 10]
        func readMore() -> Bool {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return false }
            data.append(contentsOf: buffer[..<count])
            return true
        }
        var headEnd: Int?
        while headEnd == nil {
            guard readMore() else { return nil }
            headEnd = data.indices.dropLast(3).first { Array(data[$0..<$0 + 4]) == separator }
        }
        let head = String(decoding: data[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let start = head[0].split(separator: " ")
        guard start.count >= 2 else { return nil }
        let length =
            head.dropFirst().compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
        let bodyStart = headEnd! + 4
        while data.count < bodyStart + length { guard readMore() else { return nil } }
        return Request(
            method: String(start[0]), target: String(start[1]), body: Array(data[bodyStart..<bodyStart + length]))
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real TCP relay on a free loopback port to a server on `127.0.0.1:targetPort`, that a test
/// can `freeze` (it keeps every connection open but forwards nothing more: a stuck server or
/// network) or `cut` (it closes every connection and stops listening: a server gone).
final class TCPRelay: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let targetPort: Int
    private let condition = NSCondition()
    private var frozen = false
    private var cutOff = false
    private var sockets: [Int32] = []

    init(to targetPort: Int) throws {
        self.targetPort = targetPort
        (listener, port) = try LoopbackListener.open(backlog: 64)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops forwarding: every byte read from now on is held back.
    func freeze() {
        condition.withLock { frozen = true }
    }

    /// Closes every connection and the listening socket.
    func cut() {
        condition.lock()
        cutOff = true
        let open = sockets
        condition.broadcast()
        condition.unlock()
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { if !cutOff { cut() } }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: UInt16(targetPort))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            condition.lock()
            let refused = cutOff || !connected
            if !refused { sockets += [client, upstream] }
            condition.unlock()
            if refused {
                close(client)
                close(upstream)
                continue
            }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client) }
        }
    }

    private func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            condition.lock()
            while frozen && !cutOff { condition.wait() }
            let stop = cutOff
            condition.unlock()
            if stop { break }
            let sent = buffer.withUnsafeBytes { send(destination, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
            guard sent == count else { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }
}

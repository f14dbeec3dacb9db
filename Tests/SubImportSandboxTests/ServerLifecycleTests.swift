import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

@Suite struct ServerLifecycleTests {
    @Test func startsOnAFreeLoopbackPortAndStops() async throws {
        let first = try await SandboxServer.start(SandboxConfiguration(), logger: quietLogger)
        let second = try await SandboxServer.start(SandboxConfiguration(), logger: quietLogger)
        #expect(first.port > 0)
        #expect(first.port != second.port)
        #expect(first.baseURL == "http://127.0.0.1:\(first.port)")
        #expect(try await send(.GET, first.baseURL + "/_sandbox/accounts").status == 200)
        #expect(try await send(.GET, second.baseURL + "/_sandbox/accounts").status == 200)
        await first.stop()
        await first.stop()
        await second.stop()
        await #expect(throws: (any Error).self) {
            _ = try await send(.GET, first.baseURL + "/_sandbox/accounts", timeout: .milliseconds(300))
        }
    }

    @Test func concurrentStopsAreSafe() async throws {
        let server = try await SandboxServer.start(SandboxConfiguration(), logger: quietLogger)
        _ = try await octopushCreate(server, octopushBody())  // leaves a keep-alive connection open
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { await server.stop() } }
        }
        await #expect(throws: (any Error).self) {
            _ = try await send(.GET, server.baseURL + "/_sandbox/accounts", timeout: .milliseconds(300))
        }
    }

    /// A stop while connections keep arriving: a connection accepted a moment before must be
    /// served or closed, never dropped (NIO traps on a dropped one and the whole process dies).
    @Test func stoppingWhileConnectionsArriveNeverTraps() async throws {
        for _ in 0..<15 {
            let server = try await SandboxServer.start(SandboxConfiguration(), logger: quietLogger)
            let connector = LoopbackConnector(port: server.port)
            #expect(await waitForConnections(connector, atLeast: 20), "connections arrive while the server stops")
            await server.stop()
            connector.stop()
        }
    }

    @Test func aTakenPortIsAnError() async throws {
        try await withSandbox { server in
            await #expect(throws: (any Error).self) {
                let clash = try await SandboxServer.start(SandboxConfiguration(port: server.port), logger: quietLogger)
                await clash.stop()
            }
        }
    }

    @Test func sandboxAccountsListsWhatWasCreated() async throws {
        try await withSandbox { server in
            #expect(try await send(.GET, server.baseURL + "/_sandbox/accounts").text == "[]")
            _ = try await octopushCreate(server, octopushBody(["company_name": "Italy"]))
            _ = try await smspartnerCreate(server, ["apiKey": "secret-master-key", "type": "simple"])
            let answer = try await send(.GET, server.baseURL + "/_sandbox/accounts")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "application/json")
            #expect(!answer.text.contains("secret-master-key"))
            #expect(!answer.text.contains("master-key-123"))
            #expect(!answer.text.contains("secret-password"))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let listed = try decoder.decode([SandboxAccount].self, from: Data(answer.text.utf8))
            #expect(listed == server.accounts())
            #expect(listed.map(\.provider) == ["octopush", "smspartner"])
            #expect(listed.map(\.id) == [1, 2])
            #expect(listed.first?.companyName == "Italy")
        }
    }

    @Test func unknownRoutesAre404AndEveryRequestIsCounted() async throws {
        try await withSandbox { server in
            let octopush = try await send(.GET, server.baseURL + "/v1/public/nothing", headers: masterHeaders)
            #expect(octopush.status == 404)
            #expect(octopush.int("code") == 404)
            let smspartner = try await send(.PUT, server.baseURL + "/v1/subaccount/create", json: "{}")
            #expect(smspartner.status == 404)
            #expect(smspartner.object["success"] as? Bool == false)
            #expect(try await send(.GET, server.baseURL + "/").status == 404)
            #expect(server.requestCount() == 3)
        }
    }

    @Test func loginsWithPercentEncodingAreDecoded() async throws {
        try await withSandbox { server in
            let login = try #require(try await octopushCreate(server, octopushBody()).string("api_login"))
            let encoded = login.replacingOccurrences(of: "@", with: "%40")
            let info = try await send(.GET, server.baseURL + "/v1/public/subaccount/\(encoded)", headers: masterHeaders)
            #expect(info.status == 200)
        }
    }
}

/// Opens and closes TCP connections to a loopback port as fast as it can, on a thread of its
/// own, until stopped.
final class LoopbackConnector: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var opened = 0
    private let done = DispatchSemaphore(value: 0)

    init(port: Int) {
        Thread { [self] in
            while !lock.withLock({ stopping }) {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if connected == 0 { lock.withLock { opened += 1 } }
                close(fd)
            }
            done.signal()
        }.start()
    }

    /// Connections opened so far.
    var connections: Int { lock.withLock { opened } }

    /// Stops connecting and waits for the thread to end.
    func stop() {
        lock.withLock { stopping = true }
        done.wait()
    }
}

/// Waits until `connector` opened at least `count` connections (10 s at most).
func waitForConnections(_ connector: LoopbackConnector, atLeast count: Int) async -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if connector.connections >= count { return true }
        try? await Task.sleep(nanoseconds: 1_000_000)
    }
    return connector.connections >= count
}

import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

/// What a client observed for one request.
enum Observed: Hashable, Sendable {
    case status(Int)
    case connectionError
}

/// Sends an Octopush create and reports its status, or `.connectionError` when no response came.
func observeCreate(_ server: SandboxServer, _ body: String) async -> Observed {
    do {
        return .status(try await octopushCreate(server, body).status)
    } catch {
        return .connectionError
    }
}

@Suite struct FaultInjectionTests {
    static func body(_ index: Int) -> String { octopushBody(first: "Person\(index)", last: "Family\(index)") }

    @Test func throttleAnswers429WithRetryAfterAndCreatesNothing() async throws {
        try await withSandbox(SandboxConfiguration(throttleRate: 1, retryAfterSeconds: 7)) { server in
            for index in 0..<3 {
                let answer = try await octopushCreate(server, Self.body(index))
                #expect(answer.status == 429)
                #expect(answer.headers["retry-after"] == "7")
                #expect(answer.int("code") == 429)
                #expect(answer.string("message") == "Too many requests")
            }
            let sms = try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"])
            #expect(sms.status == 429)
            #expect(sms.headers["retry-after"] == "7")
            #expect(sms.object["success"] as? Bool == false)
            #expect(server.accounts().isEmpty)
        }
    }

    @Test func failAnswers503AndCreatesNothing() async throws {
        try await withSandbox(SandboxConfiguration(failRate: 1)) { server in
            for index in 0..<3 {
                let answer = try await octopushCreate(server, Self.body(index))
                #expect(answer.status == 503)
                #expect(answer.int("code") == 503)
            }
            #expect(try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"]).status == 503)
            #expect(server.accounts().isEmpty)
            // the sandbox's own routes are never faulted
            #expect(try await send(.GET, server.baseURL + "/_sandbox/accounts").status == 200)
        }
    }

    @Test func failedEditChangesNothing() async throws {
        try await withSandbox(SandboxConfiguration(failRate: 0.5, seed: 5)) { server in
            var created: String?
            for index in 0..<20 where created == nil {
                let answer = try await octopushCreate(server, Self.body(index))
                if answer.status == 201 { created = answer.string("api_login") }
            }
            let login = try #require(created)
            var failures = 0
            for attempt in 0..<20 {
                let name = "Edit\(attempt)"
                let answer = try await send(
                    .PATCH, server.baseURL + "/v1/public/subaccount/\(login)/edit", headers: masterHeaders,
                    json: #"{"first_name": "\#(name)"}"#)
                let current = server.accounts().first { $0.apiLogin == login }?.firstName
                if answer.status == 503 {
                    failures += 1
                    #expect(current != name)
                } else {
                    #expect(answer.status == 201)
                    #expect(current == name)
                }
            }
            #expect(failures > 0)
        }
    }

    @Test func ambiguousCreatesThenAnswers502OrDropsTheConnection() async throws {
        try await withSandbox(SandboxConfiguration(ambiguousRate: 1)) { server in
            var seen: [Observed] = []
            for index in 0..<16 {
                let before = server.accounts().count
                let observed = await observeCreate(server, Self.body(index))
                seen.append(observed)
                #expect(observed == .status(502) || observed == .connectionError)
                #expect(server.accounts().count == before + 1, "the account is created whatever the client saw")
            }
            #expect(seen.contains(.status(502)))
            #expect(seen.contains(.connectionError))
            #expect(server.requestCount() == 16)
        }
    }

    @Test func droppedConnectionGivesTheClientAnErrorNotAResponse() async throws {
        try await withSandbox(SandboxConfiguration(ambiguousRate: 1)) { server in
            var errors: [String] = []
            for index in 0..<16 {
                do {
                    let answer = try await octopushCreate(server, Self.body(index))
                    #expect(answer.status == 502)
                    #expect(answer.int("code") == 502)
                } catch {
                    errors.append("\(error)")
                }
            }
            #expect(!errors.isEmpty)
            #expect(
                errors.allSatisfy { $0.contains("remoteConnectionClosed") || $0.contains("Connection") }, "\(errors)")
        }
    }

    @Test func ambiguousEditIsApplied() async throws {
        let configuration = SandboxConfiguration(ambiguousRate: 1, seed: 3)
        try await withSandbox(configuration) { server in
            _ = await observeCreate(server, Self.body(1))
            let login = try #require(server.accounts().first?.apiLogin)
            do {
                let answer = try await send(
                    .PATCH, server.baseURL + "/v1/public/subaccount/\(login)/edit", headers: masterHeaders,
                    json: #"{"first_name": "Changed"}"#)
                #expect(answer.status == 502)
            } catch {}
            #expect(server.accounts().first?.firstName == "Changed")
        }
    }

    @Test func sameSeedSameRequestsSameDecisionsWhateverTheOrder() async throws {
        let configuration = SandboxConfiguration(
            quota: 0, failRate: 0.25, throttleRate: 0.25, ambiguousRate: 0.3, retryAfterSeconds: 0, seed: 42)
        let rows = (0..<24).map { Self.body($0) }
        // Sequential, two attempts per row.
        var first: [String: [Observed]] = [:]
        try await withSandbox(configuration) { server in
            for attempt in 0..<2 {
                for row in rows {
                    first[row, default: []].append(await observeCreate(server, row))
                    #expect(first[row]?.count == attempt + 1)
                }
            }
        }
        // Concurrent, rows in reverse order, attempt order per row preserved.
        var second: [String: [Observed]] = [:]
        try await withSandbox(configuration) { server in
            second = await withTaskGroup(of: (String, [Observed]).self) { group in
                for row in rows.reversed() {
                    group.addTask {
                        var observed: [Observed] = []
                        for _ in 0..<2 { observed.append(await observeCreate(server, row)) }
                        return (row, observed)
                    }
                }
                var results: [String: [Observed]] = [:]
                for await (row, observed) in group { results[row] = observed }
                return results
            }
        }
        #expect(first == second)
        let all = Set(first.values.flatMap { $0 })
        #expect(all.contains(.status(201)))
        #expect(all.contains(.status(429)))
        #expect(all.contains(.status(503)))
        // A different seed gives different decisions.
        var other: [String: [Observed]] = [:]
        var reseeded = configuration
        reseeded.seed = 43
        try await withSandbox(reseeded) { server in
            for _ in 0..<2 {
                for row in rows { other[row, default: []].append(await observeCreate(server, row)) }
            }
        }
        #expect(other != first)
    }

    @Test func serverFollowsTheInjectorsPredictions() async throws {
        let configuration = SandboxConfiguration(
            quota: 0, failRate: 0.2, throttleRate: 0.2, ambiguousRate: 0.4, seed: 7)
        let injector = SandboxFaultInjector(configuration)
        try await withSandbox(configuration) { server in
            for index in 0..<20 {
                for occurrence in 0..<2 {
                    let body = octopushBody(first: "Person\(index)", last: "Family\(index)", ["company_name": "Co"])
                    let predicted = injector.decide(
                        endpoint: SandboxFaultInjector.octopushCreate, identity: "Person\(index)|Family\(index)|Co",
                        occurrence: occurrence)
                    let expected: Observed
                    switch predicted {
                    case .none: expected = .status(201)
                    case .throttle: expected = .status(429)
                    case .fail: expected = .status(503)
                    case .ambiguousBadGateway: expected = .status(502)
                    case .ambiguousDrop: expected = .connectionError
                    }
                    #expect(await observeCreate(server, body) == expected, "row \(index) attempt \(occurrence)")
                }
            }
        }
    }

    /// A dropped connection sends not a single byte: curl reports an empty reply (exit 52).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func droppedConnectionSendsNothing() async throws {
        let configuration = SandboxConfiguration(ambiguousRate: 1, seed: 11)
        let injector = SandboxFaultInjector(configuration)
        let index = try #require(
            (0..<100).first {
                injector.decide(
                    endpoint: SandboxFaultInjector.octopushCreate, identity: "Curl\($0)|Dropped|", occurrence: 0)
                    == .ambiguousDrop
            })
        try await withSandbox(configuration) { server in
            let (status, output) = try await runProcess(
                "/usr/bin/curl",
                [
                    "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "api-login: a@b.org", "-H",
                    "api-key: k", "-H", "Content-Type: application/json", "-d",
                    octopushBody(first: "Curl\(index)", last: "Dropped"),
                    server.baseURL + "/v1/public/subaccount/create",
                ])
            #expect(status == 52)  // CURLE_GOT_NOTHING: the connection closed with no response at all
            #expect(output == "000")
            #expect(server.accounts().map(\.firstName) == ["Curl\(index)"])
        }
    }

    @Test func injectorIsAPureFunction() {
        let injector = SandboxFaultInjector(seed: 9, throttleRate: 0.2, failRate: 0.2, ambiguousRate: 0.2)
        var counts: [SandboxFault: Int] = [:]
        for index in 0..<2000 {
            let fault = injector.decide(endpoint: "octopush.create", identity: "row\(index)", occurrence: 0)
            #expect(fault == injector.decide(endpoint: "octopush.create", identity: "row\(index)", occurrence: 0))
            counts[fault, default: 0] += 1
        }
        // 20% throttle, 80% × 20% = 16% fail, 64% × 20% = 12.8% ambiguous; generous bounds.
        #expect((300...500).contains(counts[.throttle, default: 0]))
        #expect((220...420).contains(counts[.fail, default: 0]))
        let ambiguous = counts[.ambiguousBadGateway, default: 0] + counts[.ambiguousDrop, default: 0]
        #expect((170...350).contains(ambiguous))
        let never = SandboxFaultInjector(seed: 9)
        #expect(never.isInert)
        #expect(never.decide(endpoint: "e", identity: "i", occurrence: 0) == .none)
        let always = SandboxFaultInjector(seed: 9, failRate: 1)
        #expect((0..<100).allSatisfy { always.decide(endpoint: "e", identity: "\($0)", occurrence: $0) == .fail })
    }

    @Test func latencyDelaysProviderAnswers() async throws {
        try await withSandbox(SandboxConfiguration(latencyMs: 150)) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await octopushCreate(server, Self.body(1))
            let elapsed = clock.now - start
            #expect(answer.status == 201)
            #expect(elapsed >= .milliseconds(150))
        }
    }
}

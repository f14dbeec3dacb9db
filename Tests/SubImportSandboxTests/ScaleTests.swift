import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

/// The sandbox at scale: hostile list parameters, many accounts, and the traffic counters.
@Suite struct ScaleTests {
    /// A `page` however large (query or body) answers an empty page instead of crashing.
    @Test func hugePageNumbersAnswerAnEmptyPage() async throws {
        try await withSandbox(SandboxConfiguration(quota: 0)) { server in
            for index in 0..<3 {
                let answer = try await smspartnerCreate(
                    server, ["apiKey": "k1", "type": "simple", "parameters": ["email": "user\(index)@example.fr"]])
                #expect(answer.status == 200)
            }
            let list = server.baseURL + "/v1/subaccount/list?apiKey=k1"
            for page in [String(Int.max), String(Int.max / 20 + 2), "9999999999999999999999"] {
                let answer = try await send(.GET, list + "&page=" + page)
                #expect(answer.status == 200, "page \(page)")
                #expect(answer.int("total") == 3)
            }
            let lastPage = try await send(.GET, list + "&page=\(Int.max)")
            #expect((lastPage.object["data"] as? [Any])?.isEmpty == true)
            for page in ["1e300", "-1e300", "9.3e18", "\(Int.max)"] {
                let answer = try await send(.GET, list, json: #"{"page": \#(page)}"#)
                #expect(answer.status == 200, "body page \(page)")
                #expect(answer.int("total") == 3)
            }
            let negative = try await send(.GET, list + "&page=\(Int.min)")
            #expect(negative.int("page") == 1)
            #expect((negative.object["data"] as? [Any])?.count == 3)
        }
    }

    /// Pages, lookups and removals keep creation order and see only live accounts when many
    /// masters share the sandbox.
    @Test func indexedAccountsKeepOrderAcrossMastersAndRemovals() async throws {
        try await withSandbox(SandboxConfiguration(quota: 0)) { server in
            var tokens: [String] = []
            for index in 0..<30 {
                let master = index.isMultiple(of: 2) ? "even" : "odd"
                let answer = try await smspartnerCreate(
                    server, ["apiKey": master, "type": "simple", "parameters": ["email": "u\(index)@example.fr"]])
                if master == "even" { tokens.append(try #require(answer.child("subaccount")["token"] as? String)) }
            }
            let duplicate = try await smspartnerCreate(
                server, ["apiKey": "odd", "type": "simple", "parameters": ["email": "U0@EXAMPLE.FR"]])
            #expect(duplicate.int("code") == 7, "an email is unique per provider, whatever the master and case")
            let removed = try await send(
                .DELETE, server.baseURL + "/v1/subaccount/remove",
                json: jsonText(["apiKey": "even", "token": tokens[1]]))
            #expect(removed.status == 200)
            let page = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=even&page=1")
            let emails = (page.object["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
            #expect(page.int("total") == 14)
            #expect(emails == [0, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28].map { "u\($0)@example.fr" })
            let again = try await smspartnerCreate(
                server, ["apiKey": "odd", "type": "simple", "parameters": ["email": "u2@example.fr"]])
            #expect(again.status == 200, "a removed account's email is free again")
            #expect(server.stats().accounts == 30)
            #expect(server.accounts().map(\.id) == server.accounts().map(\.id).sorted())
        }
    }

    /// `GET /_sandbox/stats` counts requests and provider requests in flight.
    @Test func statsCountRequestsInFlight() async throws {
        try await withSandbox(SandboxConfiguration(quota: 0, latencyMs: 200)) { server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<3 {
                    group.addTask {
                        _ = try await smspartnerCreate(
                            server, ["apiKey": "k", "type": "simple", "parameters": ["email": "s\(index)@example.fr"]])
                    }
                }
                try await group.waitForAll()
            }
            let stats = try await send(.GET, server.baseURL + "/_sandbox/stats")
            #expect(stats.status == 200)
            #expect(stats.int("requests") == 3)
            #expect(stats.int("inFlight") == 0)
            #expect((1...3).contains(stats.int("maxInFlight") ?? 0))
            #expect(stats.int("accounts") == 3)
            #expect(server.stats().requests == 4)
        }
    }
}

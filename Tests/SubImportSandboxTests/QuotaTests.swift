import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

@Suite struct QuotaTests {
    static func body(_ index: Int) -> String { octopushBody(first: "First\(index)", last: "Last\(index)") }

    @Test func twentyPerMasterThen403() async throws {
        try await withSandbox { server in
            #expect(server.quota == 20)
            for index in 0..<20 {
                #expect(try await octopushCreate(server, Self.body(index)).status == 201)
            }
            let refused = try await octopushCreate(server, Self.body(20))
            #expect(refused.status == 403)
            #expect(refused.int("code") == 150)
            #expect(refused.string("message") == "Sub-account limit reached: 20 sub-accounts per user")
            #expect(server.accounts().count == 20)
            // another master has its own quota
            let other = try await octopushCreate(
                server, Self.body(21), headers: ["api-login": "b@x.org", "api-key": "k"])
            #expect(other.status == 201)
            // raising the quota at run time lets the first master go on
            server.setQuota(22)
            #expect(try await octopushCreate(server, Self.body(22)).status == 201)
            #expect(try await octopushCreate(server, Self.body(23)).status == 201)
            let again = try await octopushCreate(server, Self.body(24))
            #expect(again.int("code") == 150)
            #expect(again.string("message") == "Sub-account limit reached: 22 sub-accounts per user")
        }
    }

    @Test func zeroIsUnlimited() async throws {
        try await withSandbox(SandboxConfiguration(quota: 0)) { server in
            for index in 0..<30 {
                let answer = try await octopushCreate(server, Self.body(index))
                #expect(answer.status == 201)
            }
            #expect(server.accounts().count == 30)
        }
    }

    @Test func concurrentCreatesNeverExceedTheQuota() async throws {
        try await withSandbox(SandboxConfiguration(quota: 5)) { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask { try await octopushCreate(server, Self.body(index)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 5)
            #expect(statuses.filter { $0 == 403 }.count == 7)
            #expect(server.accounts().count == 5)
            #expect(Set(server.accounts().map(\.apiLogin)).count == 5)
        }
    }
}

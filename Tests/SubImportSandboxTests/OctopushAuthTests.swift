import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

@Suite struct OctopushAuthTests {
    static func expectIncorrectLogin(_ answer: Answer) {
        #expect(answer.status == 401)
        #expect(answer.int("code") == 101)
        #expect(answer.string("message") == "Incorrect login details")
    }

    @Test func missingOrEmptyCredentialsAre401() async throws {
        try await withSandbox { server in
            Self.expectIncorrectLogin(try await octopushCreate(server, octopushBody(), headers: [:]))
            Self.expectIncorrectLogin(
                try await octopushCreate(server, octopushBody(), headers: ["api-login": "a@b.org"]))
            Self.expectIncorrectLogin(try await octopushCreate(server, octopushBody(), headers: ["api-key": "k"]))
            Self.expectIncorrectLogin(
                try await octopushCreate(server, octopushBody(), headers: ["api-login": "", "api-key": ""]))
            Self.expectIncorrectLogin(
                try await send(.GET, server.baseURL + "/v1/public/subaccount/x@sub-accounts.com"))
            Self.expectIncorrectLogin(
                try await send(.PATCH, server.baseURL + "/v1/public/subaccount/x@sub-accounts.com/edit", json: "{}"))
            #expect(server.accounts().isEmpty)
        }
    }

    @Test func configuredCredentialsAreEnforced() async throws {
        let configuration = SandboxConfiguration(apiLogin: "boss@email.org", apiKey: "right-key")
        try await withSandbox(configuration) { server in
            Self.expectIncorrectLogin(
                try await octopushCreate(
                    server, octopushBody(), headers: ["api-login": "boss@email.org", "api-key": "wrong"]))
            Self.expectIncorrectLogin(
                try await octopushCreate(
                    server, octopushBody(), headers: ["api-login": "other@email.org", "api-key": "right-key"]))
            #expect(server.accounts().isEmpty)
            let created = try await octopushCreate(
                server, octopushBody(), headers: ["api-login": "boss@email.org", "api-key": "right-key"])
            #expect(created.status == 201)
            #expect(server.accounts().map(\.master) == ["boss@email.org"])
        }
    }

    @Test func basicAuthIsAccepted() async throws {
        let configuration = SandboxConfiguration(apiLogin: "boss@email.org", apiKey: "right:key")
        try await withSandbox(configuration) { server in
            let good = "Basic " + Data("boss@email.org:right:key".utf8).base64EncodedString()
            let created = try await octopushCreate(server, octopushBody(), headers: ["Authorization": good])
            #expect(created.status == 201)
            let bad = "Basic " + Data("boss@email.org:nope".utf8).base64EncodedString()
            Self.expectIncorrectLogin(try await octopushCreate(server, octopushBody(), headers: ["Authorization": bad]))
            Self.expectIncorrectLogin(
                try await octopushCreate(server, octopushBody(), headers: ["Authorization": "Basic !!!not-base64"]))
            #expect(server.accounts().count == 1)
        }
    }

    @Test func subAccountsBelongToTheirMaster() async throws {
        try await withSandbox { server in
            let created = try await octopushCreate(server, octopushBody())
            let login = try #require(created.string("api_login"))
            let other = ["api-login": "someone-else@email.org", "api-key": "k"]
            let info = try await send(.GET, server.baseURL + "/v1/public/subaccount/\(login)", headers: other)
            #expect(info.status == 404)
            let mine = try await send(.GET, server.baseURL + "/v1/public/subaccount/\(login)", headers: masterHeaders)
            #expect(mine.status == 200)
        }
    }
}

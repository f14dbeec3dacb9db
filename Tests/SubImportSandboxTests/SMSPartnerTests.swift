import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

@Suite struct SMSPartnerTests {
    static func expectError(_ answer: Answer, code: Int, status: Int = 400, _ comment: Comment? = nil) {
        #expect(answer.status == status, comment)
        #expect(answer.object["success"] as? Bool == false, comment)
        #expect(answer.int("code") == code, comment)
        #expect(answer.string("message")?.isEmpty == false, comment)
    }

    @Test func advancedCreateAnswersAsTheSeedPageShows() async throws {
        try await withSandbox { server in
            // The seed page's request body (its email was obfuscated on the page).
            let answer = try await smspartnerCreate(
                server,
                [
                    "apiKey": "YOUR API KEY", "type": "advanced",
                    "parameters": [
                        "email": "sub@example.fr", "creditToAttribute": 10, "isBuyer": 0, "firstname": "prenom",
                        "lastname": "nom",
                    ],
                ])
            #expect(answer.status == 200)
            #expect(Set(answer.object.keys) == ["success", "code", "subaccount", "sendConfirmMailTo", "parent_email"])
            #expect(answer.object["success"] as? Bool == true)
            #expect(answer.int("code") == 200)
            #expect(answer.child("subaccount")["email"] as? String == "sub@example.fr")
            let token = try #require(answer.child("subaccount")["token"] as? String)
            #expect(answer.string("sendConfirmMailTo") == "sub@example.fr")
            #expect(answer.string("parent_email")?.contains("@") == true)
            #expect(answer.text.hasPrefix(#"{"success":true,"code":200,"subaccount":{"email":"#))
            let account = try #require(server.accounts().first)
            #expect(account.provider == "smspartner")
            #expect(account.apiLogin == "sub@example.fr")
            #expect(account.email == "sub@example.fr")
            #expect(account.apiKey == token)
            #expect(account.type == "advanced")
            #expect(account.isBuyer == false)
            #expect(account.creditToAttribute == 10)
            #expect(account.firstName == "prenom")
            #expect(account.lastName == "nom")
            #expect(account.master.hasPrefix("smspartner-"))
            #expect(!account.master.contains("YOUR API KEY"))
        }
    }

    @Test func simpleCreateWithoutEmailGetsAGeneratedOne() async throws {
        try await withSandbox { server in
            let answer = try await smspartnerCreate(server, ["apiKey": "k", "type": "simple", "parameters": [:]])
            #expect(answer.status == 200)
            let email = try #require(answer.child("subaccount")["email"] as? String)
            #expect(email.hasSuffix("@sub.smspartner.fr"))
            let second = try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"])
            #expect(second.child("subaccount")["email"] as? String != email)
            #expect(server.accounts().map(\.type) == ["simple", "simple"])
        }
    }

    @Test func errorCodes() async throws {
        try await withSandbox(SandboxConfiguration(smspartnerKey: "the-key")) { server in
            let key = "the-key"
            Self.expectError(try await smspartnerCreate(server, ["type": "simple"]), code: 1, status: 401)
            Self.expectError(
                try await smspartnerCreate(server, ["apiKey": "", "type": "simple"]), code: 1, status: 401)
            Self.expectError(
                try await smspartnerCreate(server, ["apiKey": "wrong", "type": "simple"]), code: 10, status: 401)
            let invalid = try await smspartnerCreate(server, ["apiKey": "wrong", "type": "simple"])
            #expect(invalid.string("message") == "Invalid API key")
            Self.expectError(
                try await smspartnerCreate(
                    server, ["apiKey": key, "type": "advanced", "parameters": ["email": "a@b.fr"]]),
                code: 3)
            Self.expectError(try await smspartnerCreate(server, ["apiKey": key, "parameters": [:]]), code: 4)
            Self.expectError(try await smspartnerCreate(server, ["apiKey": key, "type": "premium"]), code: 5)
            Self.expectError(
                try await smspartnerCreate(server, ["apiKey": key, "type": "advanced", "parameters": ["isBuyer": 1]]),
                code: 6)
            Self.expectError(
                try await smspartnerCreate(server, ["apiKey": key, "type": "simple", "parameters": ["email": "nope"]]),
                code: 6)
            Self.expectError(
                try await smspartnerCreate(
                    server, ["apiKey": key, "type": "simple", "parameters": ["creditToAttribute": 0]]), code: 8)
            Self.expectError(
                try await smspartnerCreate(
                    server, ["apiKey": key, "type": "simple", "parameters": ["creditToAttribute": -5]]), code: 8)
            Self.expectError(
                try await smspartnerCreate(
                    server, ["apiKey": key, "type": "simple", "parameters": ["creditToAttribute": "abc"]]), code: 8)
            #expect(server.accounts().isEmpty)
            let body: [String: Any] = [
                "apiKey": key, "type": "advanced", "parameters": ["email": "Dup@Example.fr", "isBuyer": "1"],
            ]
            #expect(try await smspartnerCreate(server, body).status == 200)
            Self.expectError(
                try await smspartnerCreate(
                    server, ["apiKey": key, "type": "simple", "parameters": ["email": "dup@example.fr"]]), code: 7)
            #expect(server.accounts().count == 1)
            #expect(server.accounts().first?.isBuyer == true)
        }
    }

    @Test func quotaIsCode11() async throws {
        try await withSandbox(SandboxConfiguration(quota: 2)) { server in
            for _ in 0..<2 {
                #expect(try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"]).status == 200)
            }
            Self.expectError(
                try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"]), code: 11, status: 403)
            #expect(try await smspartnerCreate(server, ["apiKey": "other", "type": "simple"]).status == 200)
        }
    }

    @Test func listPagination() async throws {
        try await withSandbox(SandboxConfiguration(quota: 0)) { server in
            for index in 0..<25 {
                let answer = try await smspartnerCreate(
                    server, ["apiKey": "k1", "type": "simple", "parameters": ["email": "user\(index)@example.fr"]])
                #expect(answer.status == 200)
            }
            #expect(try await smspartnerCreate(server, ["apiKey": "k2", "type": "simple"]).status == 200)
            let page1 = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k1&page=1")
            #expect(page1.status == 200)
            #expect(page1.object["success"] as? Bool == true)
            #expect(page1.int("code") == 200)
            #expect(page1.int("total") == 25)
            #expect(page1.int("nb_per_page") == 20)
            #expect(page1.int("page") == 1)
            let data1 = page1.object["data"] as? [[String: Any]] ?? []
            #expect(data1.count == 20)
            #expect(data1.first?["email"] as? String == "user0@example.fr")
            #expect(data1.first?["type"] as? String == "simple")
            #expect((data1.first?["token"] as? String)?.count == 32)
            #expect(data1.first?["id"] is NSNumber)
            let page2 = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k1&page=2")
            let data2 = page2.object["data"] as? [[String: Any]] ?? []
            #expect(data2.count == 5)
            #expect(data2.last?["email"] as? String == "user24@example.fr")
            let page3 = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k1&page=3")
            #expect((page3.object["data"] as? [Any])?.count == 0)
            let defaultPage = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k1")
            #expect(defaultPage.int("page") == 1)
            let other = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k2")
            #expect(other.int("total") == 1)
            Self.expectError(try await send(.GET, server.baseURL + "/v1/subaccount/list?page=1"), code: 1, status: 401)
        }
    }

    @Test func remove() async throws {
        try await withSandbox { server in
            let created = try await smspartnerCreate(server, ["apiKey": "k", "type": "simple"])
            let token = try #require(created.child("subaccount")["token"] as? String)
            let url = server.baseURL + "/v1/subaccount/remove"
            Self.expectError(try await send(.DELETE, url, json: jsonText(["apiKey": "k"])), code: 12)
            Self.expectError(
                try await send(.DELETE, url, json: jsonText(["apiKey": "other", "token": token])), code: 13, status: 404
            )
            Self.expectError(try await send(.DELETE, url, json: jsonText(["token": token])), code: 1, status: 401)
            let removed = try await send(.DELETE, url, json: jsonText(["apiKey": "k", "token": token]))
            #expect(removed.status == 200)
            #expect(removed.object["success"] as? Bool == true)
            #expect(server.accounts().isEmpty)
            let list = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=k")
            #expect(list.int("total") == 0)
            Self.expectError(
                try await send(.DELETE, url, json: jsonText(["apiKey": "k", "token": token])), code: 13, status: 404)
        }
    }

    @Test func ambiguousCreateIsCreated() async throws {
        try await withSandbox(SandboxConfiguration(ambiguousRate: 1)) { server in
            var observed: Set<Observed> = []
            for index in 0..<12 {
                do {
                    let answer = try await smspartnerCreate(
                        server, ["apiKey": "k", "type": "simple", "parameters": ["email": "a\(index)@example.fr"]])
                    observed.insert(.status(answer.status))
                } catch {
                    observed.insert(.connectionError)
                }
            }
            #expect(observed == [.status(502), .connectionError])
            #expect(server.accounts().count == 12)
        }
    }

    @Test func businessErrorsCanBeAnsweredWithHTTP200() async throws {
        var configuration = SandboxConfiguration()
        configuration.smspartnerErrorsWithHTTP200 = true
        try await withSandbox(configuration) { server in
            let missingType = try await smspartnerCreate(server, ["apiKey": "k", "parameters": [:]])
            Self.expectError(missingType, code: 4, status: 200)
            let noKey = try await smspartnerCreate(server, ["type": "simple"])
            Self.expectError(noKey, code: 1, status: 200)
            let created = try await smspartnerCreate(
                server, ["apiKey": "k", "type": "simple", "parameters": ["email": "a@example.fr"]])
            #expect(created.status == 200 && created.object["success"] as? Bool == true)
            let again = try await smspartnerCreate(
                server, ["apiKey": "k", "type": "simple", "parameters": ["email": "a@example.fr"]])
            Self.expectError(again, code: 7, status: 200)
        }
    }

    @Test func theDropShareDecidesHowAmbiguousFaultsEnd() {
        for share in [0.0, 1.0] {
            let injector = SandboxFaultInjector(seed: 9, ambiguousRate: 1, ambiguousDropShare: share)
            let faults = Set((0..<50).map { injector.decide(endpoint: "e", identity: "row\($0)", occurrence: 0) })
            #expect(faults == [share == 1 ? .ambiguousDrop : .ambiguousBadGateway])
        }
        let even = SandboxFaultInjector(seed: 9, ambiguousRate: 1)
        let faults = Set((0..<50).map { even.decide(endpoint: "e", identity: "row\($0)", occurrence: 0) })
        #expect(faults == [.ambiguousDrop, .ambiguousBadGateway], "half each by default")
    }
}

import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

/// The requests of the Octopush seed pages get the answers the pages show.
@Suite struct OctopushSeedTests {
    /// The seed page's create body. The page's `email_for_inbounds` is an address that the page's
    /// email obfuscation replaced with "[email protected]"; a real address stands in for it.
    static let seedCreateBody = """
        {"first_name":"Leonardo", "last_name": "Da Vinci", "company_name": "Italy", "password": "**********", \
        "callbacks": {"callback_url_for_inbounds": "https://dns.com/call-back-url-1", \
        "callback_url_for_deliveries": "https://dns.com/call-back-url-2", \
        "callback_url_for_visits": "https://dns.com/call-back-url-3", \
        "callback_url_for_blacklisted_numbers": "https://dns.com/call-back-url-4", \
        "email_for_inbounds": "leonardo@email.org" }}
        """
    /// The seed modify page's body (same substitution for the email).
    static let seedEditBody = """
        {"first_name":"Leonardo", "last_name": "Da Vinci", "company_name": "Italy", "password": "**********", \
        "callbacks": {"callback_url_for_inbounds": "https://mywebhook.dns/webhook-1", \
        "callback_url_for_deliveries": "https://mywebhook.dns/webhook-2", \
        "callback_url_for_blacklisted_numbers": "https://mywebhook.dns/webhook-3", \
        "callback_url_for_visits": "https://mywebhook.dns/webhook-4", "email_for_inbounds": "leonardo@email.org"}}
        """
    static let seedHeaders = [
        "api-login": "******@email.org", "api-key": "************", "cache-control": "no-cache",
    ]

    @Test func createEditAndReadAsTheSeedPagesShow() async throws {
        try await withSandbox { server in
            let created = try await octopushCreate(server, Self.seedCreateBody, headers: Self.seedHeaders)
            #expect(created.status == 201)
            #expect(created.headers["content-type"] == "application/json")
            #expect(Set(created.object.keys) == ["api_key", "api_login"])
            let apiKey = try #require(created.string("api_key"))
            let login = try #require(created.string("api_login"))
            #expect(apiKey.count == 32 && apiKey.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            #expect(login.hasSuffix("@sub-accounts.com"))

            let edited = try await send(
                .PATCH, server.baseURL + "/v1/public/subaccount/\(login)/edit", headers: Self.seedHeaders,
                json: Self.seedEditBody)
            #expect(edited.status == 201)

            let info = try await send(
                .GET, server.baseURL + "/v1/public/subaccount/\(login)", headers: Self.seedHeaders)
            #expect(info.status == 200)
            #expect(Set(info.object.keys) == ["first_name", "last_name", "company_name", "api_key", "callback"])
            #expect(info.string("first_name") == "Leonardo")
            #expect(info.string("last_name") == "Da Vinci")
            #expect(info.string("company_name") == "Italy")
            #expect(info.string("api_key") == apiKey)
            let callback = info.child("callback")
            #expect(callback["callback_url_for_inbounds"] as? String == "https://mywebhook.dns/webhook-1")
            #expect(callback["callback_url_for_deliveries"] as? String == "https://mywebhook.dns/webhook-2")
            #expect(callback["callback_url_for_blacklisted_numbers"] as? String == "https://mywebhook.dns/webhook-3")
            #expect(callback["callback_url_for_visits"] as? String == "https://mywebhook.dns/webhook-4")
            #expect(callback["email_for_inbounds"] as? String == "leonardo@email.org")

            let accounts = server.accounts()
            #expect(accounts.count == 1)
            #expect(accounts.first?.provider == "octopush")
            #expect(accounts.first?.master == "******@email.org")
            #expect(accounts.first?.apiLogin == login)
            #expect(accounts.first?.apiKey == apiKey)
        }
    }

    @Test func editChangesOnlyTheFieldsPresent() async throws {
        try await withSandbox { server in
            let created = try await octopushCreate(
                server,
                octopushBody(["company_name": "Italy", "callbacks": ["callback_url_for_visits": "https://a.example/v"]])
            )
            let login = try #require(created.string("api_login"))
            let edited = try await send(
                .PATCH, server.baseURL + "/v1/public/subaccount/\(login)/edit", headers: masterHeaders,
                json:
                    #"{"last_name": "Buonarroti", "callbacks": {"callback_url_for_inbounds": "https://a.example/in"}}"#)
            #expect(edited.status == 201)
            let account = try #require(server.accounts().first)
            #expect(account.firstName == "Leonardo")
            #expect(account.lastName == "Buonarroti")
            #expect(account.companyName == "Italy")
            #expect(
                account.callbacks == [
                    "callback_url_for_visits": "https://a.example/v",
                    "callback_url_for_inbounds": "https://a.example/in",
                ])
        }
    }

    @Test func editAndReadOfAnUnknownLoginAre404() async throws {
        try await withSandbox { server in
            let edit = try await send(
                .PATCH, server.baseURL + "/v1/public/subaccount/nobody@sub-accounts.com/edit", headers: masterHeaders,
                json: #"{"first_name": "Leonardo"}"#)
            #expect(edit.status == 404)
            #expect(edit.int("code") == 130)
            #expect(edit.string("message") == "Sub-account not found")
            let info = try await send(
                .GET, server.baseURL + "/v1/public/subaccount/nobody@sub-accounts.com", headers: masterHeaders)
            #expect(info.status == 404)
            #expect(info.int("code") == 130)
        }
    }

    @Test func legacyCallbackNamesAreAccepted() async throws {
        try await withSandbox { server in
            let created = try await octopushCreate(
                server,
                octopushBody([
                    "callbacks": [
                        "callback_url_for_sms_deliveries": "https://dns.com/url-2",
                        "callback_url_for_voice_sms_deliveries": "https://dns.com/url-3",
                    ]
                ]))
            #expect(created.status == 201)
            let account = try #require(server.accounts().first)
            #expect(account.callbacks["callback_url_for_deliveries"] == "https://dns.com/url-2")
            #expect(account.callbacks["callback_url_for_voice_sms_deliveries"] == "https://dns.com/url-3")
        }
    }

    /// Runs the seed page's copy/paste curl command line, URL swapped for the sandbox's and
    /// `-sS -w` appended to read the status.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func seedCurlCommandLine() async throws {
        try await withSandbox { server in
            let command = """
                curl -X POST '\(server.baseURL)/v1/public/subaccount/create' -H 'Content-Type: application/json' \
                -H 'api-login: ******@email.org' -H 'api-key: ************' -H 'cache-control: no-cache' \
                -d '{"first_name":"Leonardo", "last_name": "Da Vinci", "company_name": "Italy", "password": "**********", \
                "callbacks": {"callback_url_for_inbounds": "https://dns.com/call-back-url-1", \
                "callback_url_for_deliveries": "https://dns.com/call-back-url-2", \
                "callback_url_for_visits": "https://dns.com/call-back-url-3", \
                "callback_url_for_blacklisted_numbers": "https://dns.com/call-back-url-4", \
                "email_for_inbounds": "leonardo@email.org" }}' -sS -w '\\n%{http_code}'
                """
            let (status, output) = try await runProcess("/bin/sh", ["-c", command])
            #expect(status == 0)
            let lines = output.split(separator: "\n")
            #expect(lines.last == "201")
            let body = try #require(lines.first)
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(Set((json ?? [:]).keys) == ["api_key", "api_login"])
            #expect(server.accounts().map(\.apiLogin) == [json?["api_login"] as? String ?? "?"])
        }
    }
}

import Foundation
import SubImportSandbox
import Testing

@testable import SubImport

/// `--mode update`: `PATCH /v1/public/subaccount/{api_login}/edit` with only the row's fields.
@Suite struct OctopushUpdateTests {
    /// Creates `count` accounts through the engine and returns their logins in row order.
    static func createAccounts(_ harness: EngineHarness, count: Int) async throws -> [String] {
        let (summary, _) = try await harness.importCSV(Fixtures.validRows(count), name: "create.csv")
        let jobs = try harness.jobs(summary.batch.id)
        return try (1...count).map { try #require(jobs[$0]?.apiLogin) }
    }

    @Test func onlyTheFieldsPresentInARowAreChanged() async throws {
        let harness = try await EngineHarness()
        let logins = try await Self.createAccounts(harness, count: 3)
        let update = try harness.makeSession(mode: .update)
        let csv = """
            api_login,first_name,last_name,company_name,password,callback_url_for_deliveries
            \(logins[0]),Renamed,,,,https://hooks.example.com/dr
            \(logins[1]),,,New Company,,
            \(logins[2]),,,,new-password-1,

            """
        let (summary, result) = try await harness.importCSV(csv, name: "update.csv", session: update)
        #expect(result.fatalStop == nil)
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.values.allSatisfy { $0.state == .updated })
        #expect(jobs[1]?.apiLogin == logins[0], "the report names the account updated")
        #expect(jobs.values.allSatisfy { $0.note == nil && $0.apiKey == nil })
        let accounts = Dictionary(uniqueKeysWithValues: harness.sandbox.accounts().map { ($0.apiLogin, $0) })
        #expect(accounts.count == 3, "an update creates nothing")
        #expect(accounts[logins[0]]?.firstName == "Renamed")
        #expect(accounts[logins[0]]?.lastName == "Lastname1", "an empty cell is not sent")
        #expect(accounts[logins[0]]?.callbacks["callback_url_for_deliveries"] == "https://hooks.example.com/dr")
        #expect(accounts[logins[1]]?.companyName == "New Company")
        #expect(accounts[logins[1]]?.firstName == "Person2")
        #expect(accounts[logins[2]]?.companyName == "Company 3")
        await harness.close()
    }

    @Test func anUnknownLoginFailsThatRowWithTheProvidersMessage() async throws {
        let harness = try await EngineHarness()
        let logins = try await Self.createAccounts(harness, count: 1)
        let update = try harness.makeSession(mode: .update)
        let csv = "api_login,company_name\n\(logins[0]),Acme\nnobody@sub-accounts.com,Acme\n"
        let (summary, _) = try await harness.importCSV(csv, name: "update.csv", session: update)
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs[1]?.state == .updated)
        #expect(jobs[2]?.state == .failed)
        #expect(jobs[2]?.errorCode == "130")
        #expect(jobs[2]?.errorMessage?.isEmpty == false)
        await harness.close()
    }

    @Test func updateRowsAreValidatedBeforeSending() async throws {
        let harness = try await EngineHarness()
        let update = try harness.makeSession(mode: .update)
        let csv =
            "api_login,first_name,password,callback_url_for_visits\n,Valid,,\nsomeone@x,,,\nsomeone@x,Al,,\nsomeone@x,,short,\nsomeone@x,,,ftp://x\n"
        let (summary, _) = try await harness.importCSV(csv, name: "update.csv", session: update)
        let messages = try harness.jobs(summary.batch.id).mapValues { $0.errorMessage ?? "" }
        #expect(messages[1] == "api_login: is required to name the sub-account to update")
        #expect(messages[2] == "nothing to update: every field but api_login is empty")
        #expect(messages[3] == "first_name: must be 3–30 characters (got 2)")
        #expect(messages[4] == "password: must be at least 6 characters (got 5)")
        #expect(messages[5] == "callback_url_for_visits: must be an absolute http(s) URL")
        #expect(harness.sandbox.requestCount() == 0)
        await harness.close()
    }

    @Test func ambiguousAnswersToAnUpdateAreRetriedWithoutADuplicateNote() async throws {
        var configuration = SandboxConfiguration(quota: 0, ambiguousRate: 0.5, seed: 3)
        configuration.retryAfterSeconds = 0
        let harness = try await EngineHarness(configuration)
        // The sandbox draws each login at random, and faults are drawn per login: 20 rows make a
        // run without any ambiguous update about one in a million (with 6, one in 64).
        let logins = try await Self.createAccounts(harness, count: 20)
        let update = try harness.makeSession(mode: .update)
        let csv = (["api_login,company_name"] + logins.map { "\($0),Updated" }).joined(separator: "\n") + "\n"
        let (summary, _) = try await harness.importCSV(csv, name: "update.csv", session: update)
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.values.allSatisfy { $0.state == .updated })
        #expect(jobs.values.allSatisfy { $0.note == nil }, "repeating an update cannot duplicate anything")
        #expect(Set(harness.sandbox.accounts().filter { $0.companyName == "Updated" }.map(\.apiLogin)) == Set(logins))
        let classes = try jobs.values.flatMap {
            try harness.session.store.attempts(batchID: summary.batch.id, row: $0.row)
        }
        .map(\.failureClass)
        #expect(classes.contains("ambiguous"), "the seed must inject some ambiguous answers")
        await harness.close()
    }
}

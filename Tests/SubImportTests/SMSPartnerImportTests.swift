import Foundation
import SubImportSandbox
import Testing

@testable import SubImport

/// SMSPartner rows through the engine, against the real sandbox over loopback.
@Suite struct SMSPartnerImportTests {
    static let header = "type,email,firstname,lastname,title,credit_to_attribute,is_buyer"

    /// `count` valid advanced rows with distinct emails.
    static func advancedRows(_ count: Int) -> String {
        ([header] + (1...count).map { "advanced,owner\($0)@example.fr,Prenom\($0),Nom\($0),M,10,\($0 % 2)" })
            .joined(separator: "\n") + "\n"
    }

    static func harness(_ configuration: SandboxConfiguration = SandboxConfiguration(quota: 0)) async throws
        -> EngineHarness
    {
        try await EngineHarness(
            configuration, credentials: ProviderCredentials(login: nil, key: "partner-key"),
            provider: SMSPartnerProvider())
    }

    @Test func rowsAreCreatedWithTheTokenAsApiKeyAndTheEmailAsApiLogin() async throws {
        let harness = try await Self.harness()
        let csv = Self.header + "\nadvanced,a@example.fr,Ann,Lee,Mme,2.5,1\nsimple,,Bob,Ray,,,\n"
        let (summary, result) = try await harness.importCSV(csv)
        #expect(result.fatalStop == nil)
        let jobs = try harness.jobs(summary.batch.id)
        let accounts = harness.sandbox.accounts()
        #expect(accounts.count == 2)
        let advanced = try #require(jobs[1])
        #expect(advanced.state == .created)
        #expect(advanced.apiLogin == "a@example.fr")
        let sandboxAdvanced = try #require(accounts.first { $0.apiLogin == "a@example.fr" })
        let sameToken = advanced.apiKey == sandboxAdvanced.apiKey
        #expect(sameToken, "the report holds the token the provider generated")
        #expect(sandboxAdvanced.type == "advanced")
        #expect(sandboxAdvanced.isBuyer == true)
        #expect(sandboxAdvanced.creditToAttribute == 2.5)
        #expect(sandboxAdvanced.title == "Mme")
        #expect(sandboxAdvanced.firstName == "Ann")
        let simple = try #require(jobs[2])
        #expect(simple.state == .created)
        #expect(simple.apiLogin?.hasSuffix("@sub.smspartner.fr") == true, "the sandbox generates the email")
        #expect(accounts.first { $0.apiLogin == simple.apiLogin }?.type == "simple")
        await harness.close()
    }

    @Test func invalidRowsAreReportedAndNeverSent() async throws {
        let harness = try await Self.harness()
        let csv = [
            Self.header,
            "premium,a@example.fr,A,B,,,",  // unknown type
            ",b@example.fr,A,B,,,",  // no type, no default
            "advanced,,A,B,,,1",  // advanced without email
            "advanced,c@example.fr,A,B,,,",  // advanced without is_buyer
            "simple,d@example.fr,A,B,,0,",  // credit not > 0
            "simple,not-an-email,A,B,,,",  // malformed email
            "advanced,e@example.fr,A,B,,,maybe",  // is_buyer not 0/1
            "Simple,f@example.fr,A,B,,\"3,5\",",  // valid: type in any case, decimal comma
        ].joined(separator: "\n")
        let (summary, _) = try await harness.importCSV(csv)
        let jobs = try harness.jobs(summary.batch.id)
        let expected: [Int: String] = [
            1: "type: must be simple or advanced (got premium)",
            2: "type: is required (simple or advanced): add a type column or pass --smspartner-type",
            3: "email: is required for an advanced sub-account",
            4: "is_buyer: is required for an advanced sub-account (1 or 0)",
            5: "credit_to_attribute: must be a number greater than 0 (got 0)",
            6: "email: is not a well-formed email address",
            7: "is_buyer: must be 1 or 0 (got maybe)",
        ]
        for (row, message) in expected {
            #expect(jobs[row]?.state == .invalid, "row \(row)")
            #expect(jobs[row]?.errorMessage == message, "row \(row)")
        }
        #expect(jobs[8]?.state == .created)
        #expect(harness.sandbox.accounts().map(\.apiLogin) == ["f@example.fr"])
        #expect(harness.sandbox.accounts().first?.creditToAttribute == 3.5)
        #expect(harness.sandbox.requestCount() == 1, "invalid rows never reach the provider")
        await harness.close()
    }

    @Test func aTypeDefaultFillsRowsWithoutOneAndNamesADifferentBatch() async throws {
        let harness = try await Self.harness()
        let csv = "email,firstname\nx@example.fr,Xavier\ny@example.fr,Yann\n"
        let plain = try harness.session.ingest(path: harness.directory.write("plain.csv", csv))
        #expect(plain.invalid == 2, "without a default the type is missing")
        let session = try harness.makeSession(
            mode: .create, provider: SMSPartnerProvider(),
            credentials: ProviderCredentials(login: nil, key: "partner-key"), columnDefaults: ["type": "simple"])
        let (summary, result) = try await harness.importCSV(csv, name: "typed.csv", session: session)
        #expect(summary.batch.id != plain.batch.id, "the same content read with a default is another batch")
        #expect(result.fatalStop == nil)
        #expect(try harness.jobs(summary.batch.id).values.allSatisfy { $0.state == .created })
        #expect(harness.sandbox.accounts().map(\.type) == ["simple", "simple"])
        await harness.close()
    }

    /// Whether SMSPartner answers its errors with a 4xx status or with HTTP 200, the body decides.
    @Test(arguments: [false, true])
    func anExistingEmailWithoutAnAmbiguousAttemptIsARealConflict(errorsWithHTTP200: Bool) async throws {
        var configuration = SandboxConfiguration(quota: 0)
        configuration.smspartnerErrorsWithHTTP200 = errorsWithHTTP200
        let harness = try await Self.harness(configuration)
        _ = try await harness.importCSV(Self.advancedRows(2), name: "first.csv")
        let (summary, _) = try await harness.importCSV(
            Self.header + "\nadvanced,owner1@example.fr,Other,Person,,,0\n", name: "second.csv")
        let job = try #require(harness.jobs(summary.batch.id)[1])
        #expect(job.state == .failed)
        #expect(job.errorCode == "7")
        #expect(job.errorMessage?.hasPrefix("An account with this email already exists") == true)
        #expect(job.apiKey == nil)
        #expect(harness.sandbox.accounts().count == 2)
        await harness.close()
    }

    @Test func droppedConnectionsAfterCreatingAreReconciledThroughTheList() async throws {
        // Every ambiguous fault drops the connection after the account is created; 45 accounts
        // make the lookup walk three pages of 20.
        var configuration = SandboxConfiguration(quota: 0, ambiguousRate: 0.4, ambiguousDropShare: 1, seed: 11)
        configuration.retryAfterSeconds = 0
        let harness = try await Self.harness(configuration)
        let (summary, result) = try await harness.importCSV(Self.advancedRows(45))
        #expect(result.fatalStop == nil)
        let jobs = try harness.jobs(summary.batch.id)
        let accounts = harness.sandbox.accounts()
        #expect(accounts.count == 45, "the provider refuses a second account per email")
        #expect(jobs.values.allSatisfy { $0.state == .created })
        let tokenByEmail = Dictionary(uniqueKeysWithValues: accounts.map { ($0.apiLogin, $0.apiKey) })
        for job in jobs.values {
            // Compared as a Bool so that a failure never prints a token.
            let hasLiveToken = job.apiKey != nil && job.apiKey == tokenByEmail[job.fields["email"] ?? ""]
            #expect(hasLiveToken, "row \(job.row) has the live token")
        }
        let reconciled = jobs.values.filter { $0.note == Settlement.reconciledNote }
        #expect(!reconciled.isEmpty)
        for job in reconciled {
            let attempts = try harness.session.store.attempts(batchID: summary.batch.id, row: job.row)
            #expect(attempts.contains { $0.failureClass == "ambiguous" }, "row \(job.row) had an ambiguous attempt")
            #expect(attempts.last?.failureClass == "created")
        }
        await harness.close()
    }

    @Test func anInvalidKeyAnsweredWithHTTP200StopsTheAccount() async throws {
        var configuration = SandboxConfiguration(smspartnerKey: "right-key", quota: 0)
        configuration.smspartnerErrorsWithHTTP200 = true
        let harness = try await EngineHarness(
            configuration, credentials: ProviderCredentials(login: nil, key: "wrong-key"),
            provider: SMSPartnerProvider())
        let (summary, result) = try await harness.importCSV(Self.advancedRows(3))
        #expect(result.fatalStop?.contains("code 10") == true, "invalid API key stops the account")
        #expect(try harness.session.store.statusCounts(batchID: summary.batch.id)["pending"] == 3)
        #expect(result.fatalStop?.contains("wrong-key") == false)
        await harness.close()
    }
}

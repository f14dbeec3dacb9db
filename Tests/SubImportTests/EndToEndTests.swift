import Foundation
import SubImportSandbox
import Testing

@testable import SubImport

/// The engine against the real sandbox over loopback HTTP.
@Suite struct EndToEndTests {
    @Test func withoutFaultsEveryValidRowIsCreatedOnce() async throws {
        let harness = try await EngineHarness()
        let (summary, result) = try await harness.importCSV(Fixtures.validRows(12))
        #expect(result.fatalStop == nil)
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.count == 12)
        #expect(jobs.values.allSatisfy { $0.state == .created && $0.apiKey?.isEmpty == false && $0.attempts == 1 })
        let accounts = harness.sandbox.accounts()
        #expect(accounts.count == 12)
        #expect(Set(accounts.map(\.apiKey)) == Set(jobs.values.compactMap(\.apiKey)))
        for row in 1...12 {
            #expect(try harness.session.store.storedRow(batchID: summary.batch.id, row: row)?.secret == nil)
        }
        await harness.close()
    }

    @Test func serverErrorsAndThrottlingAreRetriedUntilEveryRowIsCreated() async throws {
        var configuration = SandboxConfiguration()
        configuration.failRate = 0.2
        configuration.throttleRate = 0.1
        configuration.retryAfterSeconds = 0
        configuration.seed = 42
        configuration.quota = 0
        let harness = try await EngineHarness(configuration)
        let (summary, result) = try await harness.importCSV(Fixtures.validRows(25))
        #expect(result.fatalStop == nil)
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.values.filter { $0.state == .created }.count == 25)
        #expect(harness.sandbox.accounts().count == 25, "503 and 429 create nothing: no duplicates")
        #expect(result.requests > 25, "some requests must have been refused and retried")
        #expect(jobs.values.allSatisfy { $0.note == nil })
        await harness.close()
    }

    @Test func ambiguousAnswersAreRetriedAndNotedAsPossibleDuplicates() async throws {
        var configuration = SandboxConfiguration()
        configuration.ambiguousRate = 0.3
        configuration.seed = 7
        configuration.quota = 0
        let harness = try await EngineHarness(configuration)
        let (summary, _) = try await harness.importCSV(Fixtures.validRows(20))
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.values.allSatisfy { $0.state == .created })
        let noted = jobs.values.filter { $0.note?.hasPrefix("possible duplicate:") == true }
        #expect(!noted.isEmpty)
        // Every account the sandbox created twice belongs to a row whose note says so.
        var createdPerName: [String: Int] = [:]
        for account in harness.sandbox.accounts() { createdPerName[account.firstName ?? "", default: 0] += 1 }
        for (name, count) in createdPerName where count > 1 {
            let job = try #require(jobs.values.first { $0.fields["first_name"] == name })
            #expect(job.note?.hasPrefix("possible duplicate:") == true)
        }
        await harness.close()
    }

    @Test func ambiguousRowsEndUncertainWhenAmbiguousRetriesAreOff() async throws {
        var configuration = SandboxConfiguration()
        configuration.ambiguousRate = 1
        var options = EngineHarness.fastOptions
        options.retry.retryAmbiguous = false
        let harness = try await EngineHarness(configuration, options: options)
        let (summary, _) = try await harness.importCSV(Fixtures.validRows(3))
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs.values.allSatisfy { $0.state == .uncertain && $0.attempts == 1 })
        #expect(harness.sandbox.accounts().count == 3)
        await harness.close()
    }

    @Test func quotaStopsTheAccountKeepsRowsPendingAndResumesLater() async throws {
        let harness = try await EngineHarness()
        let csv = Fixtures.validRows(25)
        let (summary, result) = try await harness.importCSV(csv)
        #expect(result.fatalStop?.contains("150") == true)
        var counts = try harness.session.store.statusCounts(batchID: summary.batch.id)
        #expect(counts["created"] == 20)
        #expect(counts["pending"] == 5)
        #expect(harness.sandbox.accounts().count == 20)
        let report = try harness.session.writeReports(batchIDs: [summary.batch.id])[0]
        #expect(!report.complete)
        // The operator raises the quota; the same import resumes the batch.
        harness.sandbox.setQuota(0)
        harness.session.resumeAccount()
        let (again, second) = try await harness.importCSV(csv, name: "accounts-again.csv")
        #expect(again.alreadyKnown)
        #expect(second.fatalStop == nil)
        counts = try harness.session.store.statusCounts(batchID: summary.batch.id)
        #expect(counts["created"] == 25)
        #expect(harness.sandbox.accounts().count == 25)
        await harness.close()
    }

    @Test func badCredentialsStopEverythingAndLoseNothing() async throws {
        var configuration = SandboxConfiguration()
        configuration.apiLogin = "master@example.com"
        configuration.apiKey = "right-key"
        let harness = try await EngineHarness(
            configuration, credentials: ProviderCredentials(login: "master@example.com", key: "wrong-key"))
        let (summary, result) = try await harness.importCSV(Fixtures.validRows(6))
        #expect(result.fatalStop?.contains("401") == true)
        #expect(!(result.fatalStop ?? "").contains("wrong-key"))
        let counts = try harness.session.store.statusCounts(batchID: summary.batch.id)
        #expect(counts == ["pending": 6])
        #expect(try harness.session.store.storedRow(batchID: summary.batch.id, row: 6)?.secret == "secret-6-pw")
        #expect(harness.sandbox.accounts().isEmpty)
        await harness.close()
    }

    @Test func rejectedRowsFailWithTheProvidersMessageAndAreNotRetried() async throws {
        // A row the local validation lets through but the provider refuses: a duplicate password
        // cannot be, so use a first name of 31 characters sent by bypassing validation.
        let harness = try await EngineHarness()
        let store = try #require(harness.session.store as? QueueStore)
        let summary = try harness.session.ingest(path: harness.directory.write("one.csv", Fixtures.validRows(1)))
        try store.write { db in
            try db.execute(sql: "UPDATE job SET fields = ?", arguments: [#"["A","Lastname"]"#])
        }
        let session = harness.session
        _ = await onDedicatedThread { session.work(batchIDs: [summary.batch.id]) }
        let job = try #require(try harness.jobs(summary.batch.id)[1])
        #expect(job.state == .failed)
        #expect(job.attempts == 1)
        #expect(job.errorMessage?.isEmpty == false)
        await harness.close()
    }
}

@Suite struct RetryTests {
    @Test func retryGivesFailedRowsTheirPasswordsBackFromTheSourceFile() async throws {
        var configuration = SandboxConfiguration()
        configuration.failRate = 0.5
        configuration.seed = 3
        var options = EngineHarness.fastOptions
        options.retry.maxAttempts = 1
        let harness = try await EngineHarness(configuration, options: options)
        let (summary, _) = try await harness.importCSV(Fixtures.validRows(10))
        let store = harness.session.store
        let batch = try #require(try store.batch(id: summary.batch.id))
        var failed = try store.failedRows(batchID: batch.id)
        #expect(!failed.isEmpty, "the seed must make some rows fail")
        #expect(try store.storedRow(batchID: batch.id, row: failed.first!)?.secret == nil)
        var rounds = 0
        while !failed.isEmpty && rounds < 20 {
            let secrets = try SecretRecovery(provider: OctopushProvider(), mode: .create)
                .secrets(of: failed, batch: batch, path: batch.filePath)
            #expect(secrets.count == failed.count)
            let result = try store.retry(batchID: batch.id, secrets: secrets)
            #expect(result.requeued == failed.count && result.skipped == 0)
            let session = harness.session
            _ = await onDedicatedThread { session.work(batchIDs: [batch.id]) }
            failed = try store.failedRows(batchID: batch.id)
            rounds += 1
        }
        #expect(failed.isEmpty)
        #expect(try store.statusCounts(batchID: batch.id) == ["created": 10])
        #expect(harness.sandbox.accounts().count == 10)
        await harness.close()
    }

    @Test func secretsAreOnlyReadFromTheSameContent() async throws {
        let directory = TestDirectory()
        let store = try QueueStore(directory: directory.file("state"))
        let path = directory.write("a.csv", Fixtures.validRows(2))
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a").ingest(
            path: path)
        directory.write("a.csv", Fixtures.validRows(3))
        #expect {
            try SecretRecovery(provider: OctopushProvider(), mode: .create).secrets(
                of: [1], batch: summary.batch, path: path)
        } throws: { "\($0)".contains("SHA-256") }
    }
}

@Suite struct TimeoutTests {
    @Test func aTimeoutAfterSendingIsAmbiguousBecauseTheAccountMayExist() async throws {
        var configuration = SandboxConfiguration()
        configuration.latencyMs = 1500
        var options = EngineHarness.fastOptions
        options.requestTimeout = 0.3
        options.retry.maxAttempts = 1
        let harness = try await EngineHarness(configuration, options: options)
        let (summary, _) = try await harness.importCSV(Fixtures.validRows(1))
        let job = try #require(try harness.jobs(summary.batch.id)[1])
        #expect(job.state == .uncertain)
        #expect(job.note?.hasPrefix("possible duplicate:") == true)
        #expect(
            try harness.session.store.attempts(batchID: summary.batch.id, row: 1).map(\.failureClass) == ["ambiguous"])
        // The provider did go on and create it: "uncertain" was the right call.
        let deadline = Date().addingTimeInterval(10)
        while harness.sandbox.accounts().isEmpty && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(harness.sandbox.accounts().count == 1)
        await harness.close()
    }
}

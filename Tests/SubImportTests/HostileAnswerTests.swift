import Foundation
import Logging
import SubImport
import Testing

/// The engine against a real HTTP server giving hostile answers (issue 8, items 4 and 5).
@Suite struct HostileAnswerTests {
    static let created = HostileServer.Answer(
        status: 201, headers: [("Content-Type", "application/json")],
        body: #"{"api_key": "KEY-OK", "api_login": "sub@sub-accounts.com"}"#)

    /// Ingests `rows` Octopush rows and works them against `server` with one worker.
    func importRows(
        _ rows: Int, server: HostileServer, directory: TestDirectory
    ) async throws -> (session: ImportSession, batchID: String, result: WorkResult) {
        try await importCSV(
            Fixtures.validRows(rows), provider: OctopushProvider(),
            credentials: ProviderCredentials(login: "master@example.com", key: "master-key"), server: server,
            directory: directory)
    }

    /// Ingests `csv` for `provider` and works it against `server` with one worker.
    func importCSV(
        _ csv: String, provider: any ProviderDefinition, credentials: ProviderCredentials, server: HostileServer,
        directory: TestDirectory
    ) async throws -> (session: ImportSession, batchID: String, result: WorkResult) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let account = ProviderAccount(
            provider: provider, baseURL: server.baseURL, credentials: credentials, isSandbox: false)
        let session = try ImportSession(
            stateDirectory: directory.file("state"), reportsDirectory: directory.file("reports"), account: account,
            mode: .create,
            options: WorkOptions(
                concurrency: 1, rate: 0, burst: 1, retry: RetryPolicy(maxAttempts: 5, baseDelay: 0.005, maxDelay: 0.05)),
            logger: logger)
        let summary = try session.ingest(path: directory.write("accounts.csv", csv))
        let batchID = summary.batch.id
        let result = await onDedicatedThread { session.work(batchIDs: [batchID]) }
        return (session, batchID, result)
    }

    func states(_ session: ImportSession, _ batchID: String) throws -> [JobState] {
        var states: [JobState] = []
        try session.store.forEachJob(batchID: batchID) { states.append($0.state) }
        return states
    }

    @Test(
        "A 2xx whose body cannot be read is uncertain, and retry never sends it again",
        arguments: [
            "<html><body>Created!</body></html>", #"{"api_key": 42, "api_login": "sub@x"}"#, #"{"api_login": "sub@x"}"#,
            "", "[1, 2]",
        ])
    func unreadableSuccessIsUncertain(body: String) async throws {
        let directory = TestDirectory()
        let server = try HostileServer([.init(status: 201, headers: [("Content-Type", "text/html")], body: body)])
        defer { server.stop() }
        let (session, batchID, result) = try await importRows(2, server: server, directory: directory)
        defer { session.shutdown() }
        #expect(result.fatalStop == nil)
        #expect(server.answered == [201, 201], "each row is sent once")
        var notes: [String?] = []
        try session.store.forEachJob(batchID: batchID) { notes.append($0.note) }
        #expect(try states(session, batchID) == [.uncertain, .uncertain])
        #expect(notes == [Settlement.unreadableNote, Settlement.unreadableNote])
        // `retry` never queues them again, even with their passwords at hand.
        let retried = try session.store.retry(batchID: batchID, secrets: [1: "secret-1-pw", 2: "secret-2-pw"])
        #expect(retried.requeued == 0)
        _ = await onDedicatedThread { session.work(batchIDs: [batchID]) }
        #expect(server.answered.count == 2, "nothing is sent again")
        #expect(try states(session, batchID) == [.uncertain, .uncertain])
    }

    @Test(
        "SMSPartner: a 2xx without a readable token is uncertain; success false is still a rejection",
        arguments: [
            ("<html>ok</html>", JobState.uncertain), (#"{"success": true}"#, .uncertain),
            (#"{"success": true, "subaccount": {"email": "a@example.fr", "token": 7}}"#, .uncertain),
            (#"{"success": false, "code": 3, "message": "bad email"}"#, .failed),
        ])
    func smsPartnerUnreadableSuccess(body: String, expected: JobState) async throws {
        let directory = TestDirectory()
        let server = try HostileServer([.init(status: 200, body: body)])
        defer { server.stop() }
        let (session, batchID, result) = try await importCSV(
            SMSPartnerImportTests.advancedRows(1), provider: SMSPartnerProvider(),
            credentials: ProviderCredentials(login: nil, key: "partner-key"), server: server, directory: directory)
        defer { session.shutdown() }
        #expect(result.fatalStop == nil)
        #expect(server.answered == [200], "sent once")
        let settled = try states(session, batchID)
        #expect(settled == [expected])
    }

    /// Imports two rows against a server that answers the first request 429 with
    /// `Retry-After: value`, then 201 with a key; `check` gets the session, batch, result and
    /// the statuses the server answered.
    func importAfterA429(
        retryAfter value: String, check: (ImportSession, String, WorkResult, [Int]) throws -> Void
    ) async throws {
        let directory = TestDirectory()
        let server = try HostileServer([.init(status: 429, headers: [("Retry-After", value)]), Self.created])
        defer { server.stop() }
        let (session, batchID, result) = try await importRows(2, server: server, directory: directory)
        defer { session.shutdown() }
        try check(session, batchID, result, server.answered)
    }

    @Test(
        "A Retry-After that is not a sane number is ignored for the normal backoff",
        arguments: ["inf", "-5", "nan", "1e400", "-inf"])
    func insaneRetryAfterIsIgnored(value: String) async throws {
        try await importAfterA429(retryAfter: value) { session, batchID, result, answered in
            #expect(result.fatalStop == nil)
            #expect(answered == [429, 201, 201])
            let settled = try states(session, batchID)
            #expect(settled == [.created, .created])
        }
    }

    @Test(
        "A Retry-After beyond the ceiling stops the account with the rows pending",
        arguments: ["1e12", "3600", "901", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func retryAfterBeyondTheCeilingStopsTheAccount(value: String) async throws {
        try await importAfterA429(retryAfter: value) { session, batchID, result, answered in
            let reason = try #require(result.fatalStop)
            #expect(reason.contains("Retry-After"))
            #expect(answered == [429], "nothing more is sent to an unavailable provider")
            let counts = try session.store.statusCounts(batchID: batchID)
            #expect(counts == ["pending": 2])
        }
    }
}

import Foundation
import SubImportSandbox
import Testing

@testable import SubImport

/// A provider the engine has never heard of, defined in this one file, runs end to end: the
/// engine needs nothing but a `ProviderDefinition` and its `ProviderClient`.
@Suite struct ThirdProviderTests {
    /// "Relay": a made-up provider whose CSV says `given`/`family`/`secret`, and which creates
    /// accounts through the sandbox's Octopush route with its own client.
    struct RelayProvider: ProviderDefinition {
        let name = "relay"
        let defaultBaseURL = "https://relay.invalid"
        let fatalErrorCodes: Set<String> = ["101"]
        let modes: [ImportMode] = [.create]

        func columns(mode: ImportMode) -> ColumnSchema {
            ColumnSchema([
                .init("first_name", aliases: ["given"], required: true),
                .init("last_name", aliases: ["family"], required: true),
                .init("password", aliases: ["secret"], required: true, isSecret: true),
            ])
        }

        func validate(_ row: ImportRow, mode: ImportMode) -> RowProblem? {
            FieldRules.length(row["first_name"], column: "first_name", 3...30)
                ?? FieldRules.length(row["last_name"], column: "last_name", 3...30)
                ?? FieldRules.length(row.secret, column: "password", 6...Int.max)
        }

        func credentials(environment: [String: String]) throws -> ProviderCredentials {
            ProviderCredentials(login: environment["RELAY_LOGIN"], key: environment["RELAY_KEY"] ?? "")
        }

        func accountLogin(environment: [String: String]) -> String? { environment["RELAY_LOGIN"] }

        var sandboxCredentials: ProviderCredentials { ProviderCredentials(login: "relay", key: "relay") }

        func makeClient(_ connection: ProviderConnection) -> any ProviderClient { RelayClient(connection: connection) }
    }

    struct RelayClient: ProviderClient {
        let connection: ProviderConnection

        func send(_ job: ClaimedJob) -> ProviderAnswer {
            var members = job.fields.map { (name: $0.key, value: JSONText.quotedBytes($0.value)) }
            if let password = job.secret { members.append(("password", JSONText.quotedBytes(password))) }
            let headers = [
                ("api-login", connection.credentials.login ?? ""), ("api-key", connection.credentials.key),
            ]
            switch JSONExchange.send(
                connection.transport, method: "POST", url: connection.url("/v1/public/subaccount/create"),
                headers: headers, bytes: JSONText.objectBytes(members))
            {
            case .failure(let failure): return failure.answer
            case .success(let answer):
                guard answer.isSuccessStatus, let key = answer.object["api_key"] as? String,
                    let login = answer.object["api_login"] as? String
                else { return answer.error() }
                return .created(apiLogin: login, apiKey: key)
            }
        }
    }

    @Test func aProviderDefinedInOneFileImportsEndToEnd() async throws {
        let harness = try await EngineHarness(
            SandboxConfiguration(), credentials: ProviderCredentials(login: "m", key: "k"), provider: RelayProvider())
        let csv = "given,family,secret\nAda,Lovelace,analytical\nAl,Turing,enigma-pw\n"
        let (summary, result) = try await harness.importCSV(csv)
        #expect(result.fatalStop == nil)
        #expect(summary.batch.provider == "relay")
        let jobs = try harness.jobs(summary.batch.id)
        #expect(jobs[1]?.state == .created && jobs[1]?.apiKey?.isEmpty == false)
        #expect(jobs[2]?.state == .invalid && jobs[2]?.errorMessage == "first_name: must be 3–30 characters (got 2)")
        let report = try harness.session.writeReports(batchIDs: [summary.batch.id])[0]
        #expect(report.counts["created"] == 1 && report.counts["invalid"] == 1)
        #expect(harness.sandbox.accounts().map(\.firstName) == ["Ada"])
        await harness.close()
    }

    /// A client with only a blocking `send` (the protocol's default hand-off) still has
    /// `--concurrency` requests in flight: the default never blocks the queue the pool's answers
    /// share.
    @Test func aClientThatOnlyBlocksStillSendsConcurrently() async throws {
        var options = EngineHarness.fastOptions
        options.concurrency = 4
        let harness = try await EngineHarness(
            SandboxConfiguration(quota: 0, latencyMs: 300), options: options,
            credentials: ProviderCredentials(login: "m", key: "k"), provider: RelayProvider())
        let csv = "given,family,secret\n" + (1...8).map { "Ada\($0),Lovelace,analytical" }.joined(separator: "\n")
        let (summary, result) = try await harness.importCSV(csv + "\n")
        #expect(result.fatalStop == nil)
        #expect(try harness.jobs(summary.batch.id).values.allSatisfy { $0.state == .created })
        #expect(harness.sandbox.stats().maxInFlight == 4)
        await harness.close()
    }
}

import Foundation
import Testing

@testable import SubImport

/// Provider answers no real provider should give, from a real HTTP server on loopback: they
/// never crash the process, never take memory past the body limit, and the row still settles.
@Suite struct AnswerLimitTests {
    let folder = TestFolder()

    /// A `201` whose `api_key` is 200 MB, streamed in chunks: the binary reads at most the body
    /// limit, stays small, and settles the row (the account may exist: never `pending`, never
    /// `created` with a cut key).
    @Test func aStreamedHugeKeyIsNotReadPastTheLimit() async throws {
        let filler = 200 * 1024 * 1024
        let streamed = LockedCount()
        let server = try HostileHTTPServer { request, connection in
            guard request.method == "POST" else { return connection.answer(status: 404, json: "{}") }
            streamed.add(
                connection.streamChunked(
                    status: 201, prefix: #"{"api_login":"sub@sub-accounts.com","api_key":""#, fillerBytes: filler,
                    suffix: #""}"#))
        }
        defer { server.stop() }
        let file = folder.write("one.csv", validRows(1))
        let run = try CLI.Running(
            ["import", file, "--base-url", server.baseURL, "--rate", "0", "--max-attempts", "1"]
                + ["--state", folder.file("state"), "--reports", folder.file("reports")],
            environment: sandboxCredentials)
        var peakKiB = 0
        _ = await waitUntil(timeout: 120) {
            peakKiB = max(peakKiB, highWaterMarkKiB(of: run.process.processIdentifier) ?? 0)
            return !run.process.isRunning
        }
        let output = await run.finish()
        #expect(run.process.terminationReason == .exit, "crashed: \(output.stderr)")
        #expect(peakKiB > 0 && peakKiB < 150 * 1024, "peak RSS \(peakKiB) KiB")
        #expect(streamed.value < filler, "the client kept reading the whole body")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first, "\(output.stderr)"))
        #expect(rows.count == 1)
        #expect(rows[0]["status"] == "uncertain", "\(rows)")
        #expect(rows[0]["api_key"]?.isEmpty != false)
        #expect(rows[0]["error_message"]?.contains("over 256 KiB") == true, "\(rows)")
    }

    /// An `api_key` (Octopush) or `token` (SMSPartner) longer than 1 KiB in a body under the
    /// body limit makes the 2xx unreadable (`unreadableSuccess`: the account may exist).
    @Test func aValueOverTheValueLimitMakesTheSuccessUnreadable() throws {
        let long = String(repeating: "k", count: ProviderAnswerLimits.maxValueBytes + 1)
        let server = try HostileHTTPServer { request, connection in
            if request.target.hasPrefix("/v1/public/") {
                connection.answer(status: 201, json: #"{"api_login":"a@sub-accounts.com","api_key":"\#(long)"}"#)
            } else {
                connection.answer(
                    status: 200, json: #"{"success":true,"subaccount":{"email":"a@b.fr","token":"\#(long)"}}"#)
            }
        }
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        let connection = ProviderConnection(
            baseURL: server.baseURL, credentials: ProviderCredentials(login: "m", key: "k"), transport: transport,
            limiter: TokenBucket(rate: 0, burst: 1))
        let octopush = OctopushClient(connection: connection).send(job(["first_name": "Ada"]))
        guard case .unreadableSuccess(201, let message) = octopush else {
            Issue.record("unexpected \(octopush)")
            return
        }
        #expect(message.contains("api_key is longer than 1024 bytes"))
        let smspartner = SMSPartnerClient(connection: connection).send(job(["email": "a@b.fr", "type": "simple"]))
        guard case .unreadableSuccess(200, let message) = smspartner else {
            Issue.record("unexpected \(smspartner)")
            return
        }
        #expect(message.contains("token is longer than 1024 bytes"))
    }

    /// SMSPartner list pages claiming `nb_per_page` 0 or one so large that multiplying overflows,
    /// with an endless `total`: the lookup reads at most its page limit and answers the conflict.
    @Test(arguments: [0, Int.max / 2 + 1])
    func listPaginationIsBounded(perPage: Int) async throws {
        let server = try HostileHTTPServer { request, connection in
            if request.method == "POST" {
                connection.answer(status: 400, json: #"{"success":false,"code":7,"message":"email exists"}"#)
            } else {
                connection.answer(
                    status: 200,
                    json: #"{"success":true,"total":\#(Int.max),"nb_per_page":\#(perPage),"#
                        + #""data":[{"email":"other@b.fr","token":"t"}]}"#)
            }
        }
        defer { server.stop() }
        let transport = HTTPTransport(connectTimeout: 5, requestTimeout: 5)
        defer { transport.shutdown() }
        let connection = ProviderConnection(
            baseURL: server.baseURL, credentials: ProviderCredentials(login: nil, key: "k"), transport: transport,
            limiter: TokenBucket(rate: 0, burst: 1))
        let client = SMSPartnerClient(connection: connection, maxListPages: 5)
        var ambiguous = job(["email": "wanted@b.fr", "type": "simple"])
        ambiguous.ambiguous = true
        let answer = LockedAnswer()
        let row = ambiguous
        Thread.detachNewThread { answer.set(client.send(row)) }
        #expect(await waitUntil(timeout: 60) { answer.value != nil }, "the lookup never ended")
        guard case .error(400, "7", let message, _)? = answer.value else {
            Issue.record("unexpected \(String(describing: answer.value))")
            return
        }
        #expect(message.contains("within the first 5 pages"))
        #expect(server.requests.filter { $0.method == "GET" }.count == 5)
    }

    private func job(_ fields: [String: String]) -> ClaimedJob {
        ClaimedJob(
            id: 1, batchID: "b", row: 1, provider: "p", mode: "create", account: "a", fields: fields,
            secret: "secret-pw", attempts: 1, failures: 0, ambiguous: false, note: nil)
    }
}

/// The peak resident memory (`VmHWM`) of process `pid`, in KiB, while it runs.
func highWaterMarkKiB(of pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.components(separatedBy: "\n").first { $0.hasPrefix("VmHWM:") }
    return line.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces).components(separatedBy: " ")[0]) }
}

private final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ count: Int) { lock.withLock { total += count } }
    var value: Int { lock.withLock { total } }
}

private final class LockedAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var answer: ProviderAnswer?
    func set(_ answer: ProviderAnswer) { lock.withLock { self.answer = answer } }
    var value: ProviderAnswer? { lock.withLock { answer } }
}

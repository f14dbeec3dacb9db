import Dispatch
import Foundation
import Synchronization
import Testing

@testable import SubImport

/// SMSPartner's lookup of an existing account (code 7 after an ambiguous attempt) makes blocking
/// list requests; the queue its answer is delivered on carries other workers' answers too.
@Suite struct SMSPartnerLookupTests {
    @Test func aLookupNeverHoldsTheQueueAnswersAreDeliveredOn() async throws {
        let exists = HostileServer.Answer(status: 200, body: #"{"success":false,"code":7,"message":"exists"}"#)
        let server = try HostileServer([exists, HostileServer.Answer(status: 200, hangs: true)], handling: .keepAlive)
        let transport = HTTPTransport(connectTimeout: 2, requestTimeout: 60, connectionsPerHost: 2)
        let client = SMSPartnerProvider().makeClient(
            ProviderConnection(
                baseURL: server.baseURL, credentials: ProviderCredentials(login: nil, key: "partner-key"),
                transport: transport, limiter: TokenBucket(rate: 0, burst: 1)))
        let job = ClaimedJob(
            id: 1, batchID: "b", row: 1, provider: "smspartner", mode: "create", account: "partner",
            fields: ["type": "advanced", "email": "owner@example.fr"], secret: nil, attempts: 2, failures: 1,
            ambiguous: true, note: nil)
        let answers = DispatchQueue(label: "answers")
        let answered = Mutex<ProviderAnswer?>(nil)
        client.send(job, completingOn: answers) { answer in answered.withLock { $0 = answer } }
        #expect(
            await waitFor(seconds: 10) { server.answered.count == 2 }, "the lookup's list request reached the server")
        let ran = Mutex(false)
        answers.async { ran.withLock { $0 = true } }
        #expect(
            await waitFor(seconds: 5) { ran.withLock { $0 } },
            "another answer runs on the queue while the lookup waits for its page")
        server.stop()
        #expect(await waitFor(seconds: 10) { answered.withLock { $0 } != nil }, "the lookup ends once the server goes")
        transport.shutdown()
    }
}

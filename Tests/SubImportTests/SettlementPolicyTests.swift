import Foundation
import Testing

@testable import SubImport

/// A generator whose every draw makes a random number in a range its lower bound (1, not 0:
/// bounded draws reject a zero forever): full jitter then waits nothing, so verdicts are exact.
struct ZeroGenerator: RandomNumberGenerator {
    mutating func next() -> UInt64 { 1 }
}

@Suite struct SettlementPolicyTests {
    static let maxAttempts = 3
    static let now: Timestamp = 1_000

    func policy(retryAmbiguous: Bool = true) -> SettlementPolicy {
        SettlementPolicy(
            retry: RetryPolicy(
                maxAttempts: Self.maxAttempts, baseDelay: 0.5, maxDelay: 8, retryAmbiguous: retryAmbiguous),
            fatalCodes: OctopushProvider().fatalErrorCodes)
    }

    func decide(
        _ answer: ProviderAnswer, mode: ImportMode, failures: Int = 0, earlierAmbiguous: Bool = false,
        retryAmbiguous: Bool = true, ceiling: Double? = nil
    ) -> Verdict {
        var policy = policy(retryAmbiguous: retryAmbiguous)
        if let ceiling { policy.retry.retryAfterCeiling = ceiling }
        var generator = ZeroGenerator()
        return policy.decide(
            answer, mode: mode, history: AttemptHistory(failures: failures, ambiguous: earlierAmbiguous), now: Self.now,
            using: &generator)
    }

    /// One representative answer of each failure class.
    static let answers: [(FailureClass, ProviderAnswer)] = [
        (.created, .created(apiLogin: "l@sub", apiKey: "KEY")),
        (.unreadable, .unreadableSuccess(status: 201, message: "no key")),
        (.rejected, .error(status: 400, code: "102", message: "first_name", retryAfter: nil)),
        (.fatal, .error(status: 401, code: "101", message: "bad login", retryAfter: nil)),
        (.notSent, .error(status: 429, code: nil, message: "slow down", retryAfter: 2)),
        (.notSent, .transport(requestSent: false, message: "refused")),
        (.ambiguous, .error(status: 502, code: nil, message: "bad gateway", retryAfter: nil)),
        (.ambiguous, .transport(requestSent: true, message: "reset")),
        (.ambiguous, SettlementPolicy.abandoned),
    ]

    /// Every (class × mode × attempts left or used up × earlier ambiguous × retry ambiguous) case
    /// against the table of the README's "Failure classes".
    @Test func everyCaseFollowsTheFailureClassTable() {
        for (expectedClass, answer) in Self.answers {
            for mode in ImportMode.allCases {
                for failures in [0, Self.maxAttempts - 1] {
                    for earlierAmbiguous in [false, true] {
                        for retryAmbiguous in [true, false] {
                            let context =
                                "\(answer) \(mode) failures \(failures) earlier \(earlierAmbiguous) retryAmbiguous \(retryAmbiguous)"
                            let verdict = decide(
                                answer, mode: mode, failures: failures, earlierAmbiguous: earlierAmbiguous,
                                retryAmbiguous: retryAmbiguous)
                            #expect(verdict.decision.failureClass == expectedClass, "\(context)")
                            #expect(
                                verdict.settlement
                                    == expected(
                                        expectedClass, answer: answer, mode: mode, failures: failures,
                                        earlierAmbiguous: earlierAmbiguous, retryAmbiguous: retryAmbiguous),
                                "\(context)")
                            #expect(verdict.actions == expectedActions(expectedClass, answer: answer), "\(context)")
                        }
                    }
                }
            }
        }
    }

    /// The table, restated case by case.
    func expected(
        _ failureClass: FailureClass, answer: ProviderAnswer, mode: ImportMode, failures: Int, earlierAmbiguous: Bool,
        retryAmbiguous: Bool
    ) -> Settlement {
        switch failureClass {
        case .created:
            return .settle(.created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: "l@sub", apiKey: "KEY")
        case .unreadable:
            return .settle(.uncertain, errorCode: "201", errorMessage: "no key", note: Settlement.unreadableNote)
        case .rejected:
            return .settle(.failed, errorCode: "102", errorMessage: "first_name", note: nil)
        case .fatal:
            return .release
        case .notSent, .ambiguous:
            let (code, message, retryAfter): (String?, String, Double) =
                switch answer {
                case .error(let status, let code, let message, let retryAfter):
                    (code ?? "\(status)", message, retryAfter ?? 0)
                case .transport(_, let message): (nil, message, 0)
                default: (nil, "", 0)
                }
            let sentTwiceMatters = mode == .create
            let ambiguous = failureClass == .ambiguous && sentTwiceMatters
            let note = ambiguous ? "possible duplicate: \(message)" : nil
            let exhausted = failures + 1 >= Self.maxAttempts
            if exhausted || (ambiguous && !retryAmbiguous) {
                let mayExist = sentTwiceMatters && (ambiguous || earlierAmbiguous)
                return .settle(mayExist ? .uncertain : .failed, errorCode: code, errorMessage: message, note: note)
            }
            return .retry(
                at: Self.now + retryAfter, errorCode: code, errorMessage: message, note: note, countsAsFailure: true,
                ambiguous: ambiguous)
        }
    }

    func expectedActions(_ failureClass: FailureClass, answer: ProviderAnswer) -> [AccountAction] {
        switch (failureClass, answer) {
        case (.fatal, _): return [.stop(reason: "HTTP 401 code 101: bad login")]
        case (.notSent, .error(429, _, _, let retryAfter)): return [.throttle(retryAfter: retryAfter)]
        default: return []
        }
    }

    @Test func successesSettleWithTheirLoginAndKey() {
        #expect(
            decide(.reconciled(apiLogin: "a@b", apiKey: "T"), mode: .create, earlierAmbiguous: true).settlement
                == .settle(
                    .created, errorCode: nil, errorMessage: nil, note: Settlement.reconciledNote, apiLogin: "a@b",
                    apiKey: "T"))
        #expect(
            decide(.updated(apiLogin: "sub@x"), mode: .update, failures: 2, earlierAmbiguous: true).settlement
                == .settle(.updated, errorCode: nil, errorMessage: nil, note: nil, apiLogin: "sub@x"))
    }

    /// The bug of the three copies: lease rescue treated an update like a create.
    @Test func aRescuedUpdateIsAPlainRetryNeverUncertain() {
        let retried = decide(SettlementPolicy.abandoned, mode: .update, retryAmbiguous: false)
        guard case .retry(_, _, _, let note, true, let ambiguous) = retried.settlement else {
            Issue.record("a rescued update is retried, got \(retried.settlement)")
            return
        }
        #expect(note == nil)
        #expect(!ambiguous)
        let exhausted = decide(
            SettlementPolicy.abandoned, mode: .update, failures: Self.maxAttempts - 1, earlierAmbiguous: true)
        guard case .settle(.failed, _, _, nil, _, _) = exhausted.settlement else {
            Issue.record("an update out of attempts is failed, got \(exhausted.settlement)")
            return
        }
    }

    @Test func anInsaneRetryAfterIsIgnoredForTheNormalBackoff() {
        for insane in [Double.nan, .infinity, -.infinity, -5] {
            let verdict = decide(.error(status: 429, code: nil, message: "x", retryAfter: insane), mode: .create)
            #expect(verdict.decision.retryAfter == nil)
            #expect(verdict.actions == [.throttle(retryAfter: nil)])
            #expect(
                verdict.settlement
                    == .retry(
                        at: Self.now, errorCode: "429", errorMessage: "x", note: nil, countsAsFailure: true,
                        ambiguous: false))
        }
    }

    @Test func aRetryAfterUpToTheCeilingIsWaitedBeyondItStopsTheAccount() {
        let atCeiling = decide(
            .error(status: 503, code: nil, message: "busy", retryAfter: 60), mode: .create, ceiling: 60)
        #expect(atCeiling.actions.isEmpty)
        #expect(
            atCeiling.settlement
                == .retry(
                    at: Self.now + 60, errorCode: "503", errorMessage: "busy", note: nil, countsAsFailure: true,
                    ambiguous: false))
        for wait in [60.5, 1e12, Double.greatestFiniteMagnitude] {
            for mode in ImportMode.allCases {
                let verdict = decide(
                    .error(status: 429, code: nil, message: "later", retryAfter: wait), mode: mode, ceiling: 60)
                #expect(verdict.settlement == .release, "rows stay pending")
                guard case .stop(let reason) = verdict.actions.first, verdict.actions.count == 1 else {
                    Issue.record("the account stops, got \(verdict.actions)")
                    continue
                }
                #expect(reason.contains("Retry-After"))
            }
        }
        // An ambiguous attempt keeps its ambiguity (and its normal backoff) while the account stops.
        let ambiguous = decide(
            .error(status: 502, code: nil, message: "gw", retryAfter: 1e9), mode: .create, ceiling: 60)
        #expect(ambiguous.actions.count == 1)
        #expect(
            ambiguous.settlement
                == .retry(
                    at: Self.now, errorCode: "502", errorMessage: "gw", note: "possible duplicate: gw",
                    countsAsFailure: true, ambiguous: true))
    }

    @Test func everyDelayIsAFiniteTime() {
        let policy = RetryPolicy(maxAttempts: 100, baseDelay: .infinity, maxDelay: .nan, retryAfterCeiling: .infinity)
        for retryAfter in [nil, Double.nan, .infinity, -1, 1e300] {
            for failures in [1, 50, Int.max] {
                let delay = policy.delay(afterFailure: failures, retryAfter: retryAfter)
                #expect(delay.isFinite && delay >= 0)
            }
        }
    }
}

/// Lease rescue goes through the same policy (issue 8, item 9).
@Suite struct LeaseRescueTests {
    let directory = TestDirectory()

    /// An update-mode batch of two rows whose leases expired with their process.
    func abandonedUpdates() throws -> (QueueStore, String) {
        let store = try QueueStore(directory: directory.file("state"))
        let csv = "api_login,first_name\nsub1@sub-accounts.com,Renamed\nsub2@sub-accounts.com,Renamed\n"
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .update, account: "acct")
            .ingest(path: directory.write("update.csv", csv))
        #expect(
            try store.claim(scope: WorkScope(account: "acct"), owner: WorkerIdentity(), limit: 2, leaseSeconds: -1)
                .count == 2)
        return (store, summary.batch.id)
    }

    func jobs(_ store: QueueStore, _ batchID: String) throws -> [JobRecord] {
        var jobs: [JobRecord] = []
        try store.forEachJob(batchID: batchID) { jobs.append($0) }
        return jobs
    }

    @Test func aRescuedUpdateIsRetriedWithoutAPossibleDuplicateNote() throws {
        let (store, batchID) = try abandonedUpdates()
        let policy = SettlementPolicy(retry: RetryPolicy(maxAttempts: 5, retryAmbiguous: false), fatalCodes: [])
        #expect(try store.rescueAbandonedLeases(policy: policy, rescuer: WorkerIdentity()) == 2)
        for job in try jobs(store, batchID) {
            #expect(job.state == .retrying, "an update is safe to send again, even with --no-retry-ambiguous")
            #expect(job.note == nil)
        }
    }

    @Test func aRescuedUpdateOutOfAttemptsIsFailedNotUncertain() throws {
        let (store, batchID) = try abandonedUpdates()
        let policy = SettlementPolicy(retry: RetryPolicy(maxAttempts: 1), fatalCodes: [])
        #expect(try store.rescueAbandonedLeases(policy: policy, rescuer: WorkerIdentity()) == 2)
        for job in try jobs(store, batchID) {
            #expect(job.state == .failed)
            #expect(job.note == nil)
        }
    }
}

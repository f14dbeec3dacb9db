import Foundation
import Testing

@testable import SubImport

@Suite struct FailureClassTests {
    let fatal: Set<String> = OctopushProvider().fatalErrorCodes

    func classOf(_ answer: ProviderAnswer) -> FailureClass {
        FailureClassifier.classify(answer, fatalCodes: fatal).failureClass
    }

    @Test func createdAnswersAreCreated() {
        #expect(classOf(.created(apiLogin: "a", apiKey: "b")) == .created)
        #expect(classOf(.updated(apiLogin: "sub@sub-accounts.com")) == .created)
    }

    @Test func validationAnswersAreRejected() {
        #expect(classOf(.error(status: 400, code: "102", message: "first_name", retryAfter: nil)) == .rejected)
        #expect(classOf(.error(status: 404, code: "130", message: "not found", retryAfter: nil)) == .rejected)
        #expect(classOf(.error(status: 422, code: nil, message: "bad", retryAfter: nil)) == .rejected)
    }

    @Test func credentialAndQuotaAnswersAreFatal() {
        #expect(classOf(.error(status: 401, code: "101", message: "login", retryAfter: nil)) == .fatal)
        #expect(classOf(.error(status: 403, code: "150", message: "quota", retryAfter: nil)) == .fatal)
        #expect(classOf(.error(status: 400, code: "150", message: "quota in a 400", retryAfter: nil)) == .fatal)
    }

    @Test func answersThatProveNothingWasDoneAreNotSent() {
        let throttled = FailureClassifier.classify(
            .error(status: 429, code: nil, message: "slow down", retryAfter: 2), fatalCodes: fatal)
        #expect(throttled.failureClass == .notSent)
        #expect(throttled.throttled)
        #expect(throttled.retryAfter == 2)
        #expect(classOf(.error(status: 503, code: nil, message: "down", retryAfter: nil)) == .notSent)
        #expect(classOf(.transport(requestSent: false, message: "refused")) == .notSent)
    }

    @Test func answersAfterWhichTheAccountMayExistAreAmbiguous() {
        for status in [500, 502, 504] {
            #expect(classOf(.error(status: status, code: nil, message: "x", retryAfter: nil)) == .ambiguous)
        }
        #expect(classOf(.transport(requestSent: true, message: "reset")) == .ambiguous)
    }

    @Test func connectionRefusedIsClassifiedAsNotSent() {
        // A real connection attempt to a closed loopback port.
        let transport = HTTPTransport(connectTimeout: 2, requestTimeout: 2)
        defer { transport.shutdown() }
        let port = closedLoopbackPort()
        let result = transport.send(method: "POST", url: "http://127.0.0.1:\(port)/x", headers: [], body: [])
        guard case .failure(let failure) = result else {
            Issue.record("a closed port answered")
            return
        }
        #expect(!failure.requestSent)
    }
}

@Suite struct RetryPolicyTests {
    @Test func fullJitterStaysUnderTheExponentialCeiling() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.5, maxDelay: 8)
        var generator = SystemRandomNumberGenerator()
        for failures in 1...8 {
            let ceiling = min(8, 0.5 * pow(2, Double(failures - 1)))
            let delays = (0..<200).map { _ in policy.delay(afterFailure: failures, retryAfter: nil, using: &generator) }
            #expect(delays.allSatisfy { $0 >= 0 && $0 <= ceiling })
            #expect(Set(delays).count > 1, "jitter must vary")
        }
    }

    @Test func retryAfterIsAFloor() {
        let policy = RetryPolicy(baseDelay: 0.01, maxDelay: 0.02)
        #expect(policy.delay(afterFailure: 1, retryAfter: 7) == 7)
    }

    @Test func exhaustionCountsFailures() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(!policy.isExhausted(failures: 2))
        #expect(policy.isExhausted(failures: 3))
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        let reference = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.seconds(from: "120", now: reference) == 120)
        let date = "Tue, 14 Nov 2023 22:13:40 GMT"  // reference + 20 s
        #expect(RetryAfter.seconds(from: date, now: reference) == 20)
        #expect(RetryAfter.seconds(from: "soon", now: reference) == nil)
        #expect(RetryAfter.seconds(from: "Fri, 31 Dec 1999 23:59:59 GMT\u{1F600}", now: reference) == nil)
        #expect(RetryAfter.seconds(from: String(repeating: "9", count: 10_000) + "x", now: reference) == nil)
    }
}

@Suite struct TokenBucketTests {
    @Test func burstLeavesAtOnceThenRequestsAreSpacedByTheRate() {
        let bucket = TokenBucket(rate: 10, burst: 3)
        let waits = (0..<6).map { _ in bucket.reserve(at: 100) }
        #expect(waits[0...2].allSatisfy { $0 == 0 })
        #expect(abs(waits[3] - 0.1) < 1e-9)
        #expect(abs(waits[4] - 0.2) < 1e-9)
        #expect(abs(waits[5] - 0.3) < 1e-9)
        // After a quiet second the bucket is full again, but never above the burst.
        let later = (0..<4).map { _ in bucket.reserve(at: 102) }
        #expect(later[0...2].allSatisfy { $0 == 0 })
        #expect(later[3] > 0)
    }

    @Test func throttleHoldsEveryoneAndHalvesTheRateThenRecovers() {
        let bucket = TokenBucket(rate: 8, burst: 1, recoveryInterval: 5)
        _ = bucket.reserve(at: 0)
        bucket.throttle(retryAfter: 2, at: 1)
        #expect(bucket.effectiveRate(at: 1) == 4)
        let wait = bucket.reserve(at: 1)
        #expect(wait >= 2)
        bucket.throttle(retryAfter: nil, at: 2)
        #expect(bucket.effectiveRate(at: 2) == 2)
        #expect(bucket.effectiveRate(at: 7.5) == 4)
        #expect(bucket.effectiveRate(at: 12.5) == 8)
    }

    @Test func unlimitedOnlyPausesOnThrottle() {
        let bucket = TokenBucket(rate: 0, burst: 1)
        #expect((0..<100).allSatisfy { _ in bucket.reserve(at: 5) == 0 })
        bucket.throttle(retryAfter: 3, at: 5)
        #expect(bucket.reserve(at: 6) == 2)
    }

    /// The answers queue sends a worker's next request at once only when `tryAcquire` says it
    /// may leave without waiting: it must never overtake a waiting caller nor a pause.
    @Test func tryAcquireTakesOnlyADepartureThatNeedsNoWait() {
        let bucket = TokenBucket(rate: 10, burst: 3)
        #expect((0..<3).allSatisfy { _ in bucket.tryAcquire(at: 100) })
        #expect(!bucket.tryAcquire(at: 100), "the burst is spent")
        #expect(bucket.reservations == 3, "a refused try reserves nothing")
        #expect(abs(bucket.reserve(at: 100) - 0.1) < 1e-9, "a caller now waits for the next token")
        #expect(!bucket.tryAcquire(at: 100.15), "the token refilled meanwhile is the waiting caller's")
        #expect(bucket.tryAcquire(at: 100.2))
        bucket.throttle(retryAfter: 2, at: 101)
        #expect(!bucket.tryAcquire(at: 102.9), "paused by the provider")
        #expect(!bucket.tryAcquire(at: 103.1), "the pause ends with no token saved, at half the rate")
        #expect(bucket.tryAcquire(at: 103.2))
        bucket.cancel()
        #expect(!bucket.tryAcquire(at: 200))
    }

    @Test func tryAcquireAtAnUnlimitedRateOnlyStopsForAPause() {
        let bucket = TokenBucket(rate: 0, burst: 1)
        #expect((0..<100).allSatisfy { _ in bucket.tryAcquire(at: 5) })
        bucket.throttle(retryAfter: 3, at: 5)
        #expect(!bucket.tryAcquire(at: 6))
        #expect(bucket.tryAcquire(at: 8.5))
        #expect(bucket.reservations == 101)
    }
}

/// A loopback port with nothing listening (bound, then closed).
func closedLoopbackPort() -> Int {
    let (fd, port) = try! LoopbackListener.open()
    close(fd)
    return port
}

import Dispatch
import Foundation
import Logging

/// A bounded pool of Dispatch workers that drains a `WorkScope` of the queue.
///
/// Each worker claims one job under a lease, waits for the account's shared rate limiter,
/// sends it, classifies the answer (`FailureClassifier`) and settles or reschedules the job
/// in one transaction. `run` returns when every job of the scope is settled (unless
/// `options.continuous`), when a fatal answer stops the account (remaining rows stay pending),
/// or after `requestStop`.
public final class WorkerPool: @unchecked Sendable {
    public let store: QueueStore
    public let scope: WorkScope
    public let options: WorkOptions
    public let gate: AccountGate
    let client: any ProviderClient
    let fatalCodes: Set<String>
    let identity = WorkerIdentity()
    let logger: Logger
    /// Where answers are recorded (`AnswerRecorder`: journaled first, never lost).
    let recorder: AnswerRecorder
    private let wakeup = NSCondition()
    private var stopRequested = false
    private var requestCount = 0
    private var lastRescue: Double = 0
    /// Counts `wake` calls, so that a worker that was looking for work when one came does not wait.
    private var wakeups = 0

    public init(
        store: QueueStore, scope: WorkScope, provider: any ProviderDefinition, client: any ProviderClient,
        gate: AccountGate, options: WorkOptions, logger: Logger, recorder: AnswerRecorder? = nil
    ) {
        self.store = store
        self.recorder = recorder ?? AnswerRecorder(store: store, logger: logger)
        self.scope = scope
        self.client = client
        self.fatalCodes = provider.fatalErrorCodes
        self.gate = gate
        self.options = options
        self.logger = logger
    }

    /// Works the scope until it is settled, stopped by a fatal answer, or `requestStop` is called.
    /// Blocks the calling thread; the workers run on a concurrent Dispatch queue.
    public func run() -> WorkResult {
        rescueIfDue(force: true)
        // One serial queue per worker: serial queues run on Dispatch's overcommit threads, so
        // workers that block on HTTP never starve the width-limited global pool that Swift
        // concurrency (and an in-process sandbox) runs on.
        let group = DispatchGroup()
        for index in 0..<options.concurrency {
            DispatchQueue(label: "subimport.worker.\(index)").async(group: group) { self.workerLoop(index: index) }
        }
        group.wait()
        wakeup.lock()
        defer { wakeup.unlock() }
        return WorkResult(fatalStop: gate.stopReason, interrupted: stopRequested, requests: requestCount)
    }

    /// Stop claiming; in-flight requests finish and are settled. Safe from any thread or signal handler queue.
    public func requestStop() {
        wakeup.lock()
        stopRequested = true
        wakeup.broadcast()
        wakeup.unlock()
    }

    /// New rows may be runnable (a file was just queued): idle workers look at once.
    public func wake() {
        wakeup.lock()
        wakeups += 1
        wakeup.broadcast()
        wakeup.unlock()
    }

    /// Jobs this pool has claimed whose answer is not recorded yet.
    public func jobsInFlight() throws -> Int {
        try store.runningJobs(owner: identity)
    }

    private var shouldStop: Bool {
        wakeup.lock()
        defer { wakeup.unlock() }
        return stopRequested || gate.stopReason != nil
    }

    private func workerLoop(index: Int) {
        while !shouldStop {
            wakeup.lock()
            let wakeupsSeen = wakeups
            wakeup.unlock()
            do {
                if let job = try store.claim(
                    scope: scope, owner: identity, limit: 1, leaseSeconds: options.leaseSeconds
                )
                .first {
                    process(job)
                    continue
                }
                rescueIfDue(force: false)
                let outlook = try store.outlook(scope: scope)
                if outlook.unsettled == 0 && !options.continuous { return }
                var wait = options.idlePoll
                if let next = outlook.nextRunAt { wait = min(max(0.005, next - now()), options.idlePoll) }
                wakeup.lock()
                if !stopRequested && wakeups == wakeupsSeen {
                    _ = wakeup.wait(until: Date(timeIntervalSinceNow: wait))
                }
                wakeup.unlock()
            } catch {
                logger.error("queue error in worker \(index): \(error)")
                wakeup.lock()
                _ = wakeup.wait(until: Date(timeIntervalSinceNow: 1))
                wakeup.unlock()
            }
        }
    }

    private func rescueIfDue(force: Bool) {
        let time = now()
        wakeup.lock()
        let due = force || time - lastRescue > 5
        if due { lastRescue = time }
        wakeup.unlock()
        guard due else { return }
        do {
            let rescued = try store.rescueAbandonedLeases(
                maxAttempts: options.retry.maxAttempts, retryAmbiguous: options.retry.retryAmbiguous, rescuer: identity)
            if rescued > 0 {
                logger.warning(
                    "rescued \(rescued) row(s) left in flight by a stopped process; they are marked possible duplicates"
                )
            }
        } catch {
            logger.error("lease rescue failed: \(error)")
        }
    }

    private func process(_ job: ClaimedJob) {
        let waitStarted = now()
        guard gate.limiter.acquire(), !shouldStop else {
            settle(job, .release, attempt: nil)
            return
        }
        EngineMetrics.limiterWait(
            account: scope.account, seconds: now() - waitStarted, rate: gate.limiter.effectiveRate())
        let started = now()
        let answer = client.send(job)
        let finished = now()
        wakeup.lock()
        requestCount += 1
        wakeup.unlock()
        let decision = FailureClassifier.classify(answer, fatalCodes: fatalCodes)
        logger.debug("answer: \(decision.failureClass.rawValue)", metadata: .answer(job, decision))
        EngineMetrics.request(provider: job.provider, decision: decision, seconds: finished - started)
        let settlement = settlement(for: job, answer: answer, decision: decision)
        if decision.throttled {
            EngineMetrics.effectiveRate(account: scope.account, rate: gate.limiter.effectiveRate())
        }
        let record = AttemptRecord(
            startedAt: started, finishedAt: finished, failureClass: decision.failureClass,
            httpStatus: decision.httpStatus, errorCode: decision.errorCode,
            message: decision.message.isEmpty ? nil : decision.message, worker: identity.description)
        settle(job, settlement, attempt: record)
    }

    /// What to do with `job` after `answer`: the policy of PRODUCT.md's failure classes.
    func settlement(for job: ClaimedJob, answer: ProviderAnswer, decision: AnswerDecision) -> Settlement {
        let policy = options.retry
        switch decision.failureClass {
        case .created:
            switch answer {
            case .created(let login, let key):
                return .settle(.created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: login, apiKey: key)
            case .reconciled(let login, let key):
                return .settle(
                    .created, errorCode: nil, errorMessage: nil, note: Settlement.reconciledNote, apiLogin: login,
                    apiKey: key)
            case .updated(let login):
                return .settle(.updated, errorCode: nil, errorMessage: nil, note: nil, apiLogin: login)
            case .error, .transport:
                preconditionFailure("the classifier makes only successful answers `created`")
            }
        case .rejected:
            return .settle(.failed, errorCode: decision.errorCode, errorMessage: decision.message, note: nil)
        case .fatal:
            let reason =
                "\(decision.httpStatus.map { "HTTP \($0)" } ?? "") \(decision.errorCode.map { "code \($0): " } ?? "")\(decision.message)"
                .trimmingCharacters(in: .whitespaces)
            logger.critical(
                "provider account \(scope.account) stopped: \(reason); remaining rows stay pending",
                metadata: .answer(job, decision))
            gate.stop(reason: reason)
            return .release
        case .notSent, .ambiguous:
            // An update sent twice changes nothing more: its ambiguous answers are plain retries.
            let ambiguous = decision.failureClass == .ambiguous && ImportMode(rawValue: job.mode)?.repeatsSafely != true
            if decision.throttled { gate.limiter.throttle(retryAfter: decision.retryAfter) }
            let failures = job.failures + 1
            let note = ambiguous ? Settlement.possibleDuplicateNote(decision.message) : nil
            let mayExist = ambiguous || job.ambiguous
            if ambiguous && !policy.retryAmbiguous || policy.isExhausted(failures: failures) {
                return .settle(
                    mayExist ? .uncertain : .failed,
                    errorCode: decision.errorCode ?? decision.httpStatus.map { "\($0)" },
                    errorMessage: decision.message, note: note)
            }
            let delay = policy.delay(afterFailure: failures, retryAfter: decision.retryAfter)
            return .retry(
                at: now() + delay, errorCode: decision.errorCode ?? decision.httpStatus.map { "\($0)" },
                errorMessage: decision.message, note: note, countsAsFailure: true, ambiguous: ambiguous)
        }
    }

    private func settle(_ job: ClaimedJob, _ settlement: Settlement, attempt: AttemptRecord?) {
        switch recorder.record(job, leaseOwner: identity.description, settlement, attempt: attempt) {
        case .recorded:
            if case .settle(let state, _, _, _, _, _) = settlement {
                EngineMetrics.settled(provider: job.provider, status: state)
            }
        case .notHeld:
            logger.warning(
                "row \(job.row) of batch \(job.batchID) was rescued by another process meanwhile",
                metadata: .row(job))
        case .storeUnwritable:
            // The answer is kept in the journal; the next start applies it.
            requestStop()
        }
        wakeup.lock()
        wakeup.broadcast()
        wakeup.unlock()
    }
}

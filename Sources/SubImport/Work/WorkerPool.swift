import Dispatch
import Foundation
import Logging

/// A bounded pool of Dispatch workers that drains a `WorkScope` of the queue.
///
/// Each worker waits for the account's shared rate limiter while a job is runnable, then claims
/// one job under a lease (so a lease never runs out while its row waits; the claims of workers
/// let through within a millisecond are made by one statement, `ClaimCombiner`, and no thread
/// waits for its claim; with no rate limit, where every departure is granted at once, a few
/// rows are claimed ahead), sends it without waiting (a worker holds at most one request in
/// flight, so `--concurrency` workers bound them, and no thread is parked per request), asks the
/// `SettlementPolicy` for the verdict on the answer, performs the verdict's account actions
/// (throttle, stop) and hands the settlement to the `AnswerRecorder` (group commit; `run` returns
/// only once every answer is recorded or kept). `run` returns when every job of the scope is
/// settled (unless `options.continuous`), when a fatal answer stops the account (remaining rows
/// stay pending), or after `requestStop`.
///
/// Queues: every answer is queued onto the pool's one serial `answers` queue, which settles it
/// and, when the limiter lets the worker's next request leave at once, claims and sends its next
/// row there too (nothing on it ever blocks). A worker that must wait (for the limiter, or for
/// work) does so on its own serial queue, its lane; an answer that throttles or stops the
/// account is finished there too (a shared limiter tells its database). One queue for the
/// answers lets a thread take every answer that arrived meanwhile at one wake-up, instead of
/// one thread hand-off per answer.
public final class WorkerPool: @unchecked Sendable {
    public let store: any JobQueue
    public let scope: WorkScope
    public let options: WorkOptions
    public let gate: AccountGate
    let client: any ProviderClient
    let policy: SettlementPolicy
    let identity: WorkerIdentity
    /// Claims for every worker whose request the limiter let leave, one statement for all.
    private let claimer: ClaimCombiner
    /// Where answers are settled and the next request leaves when it needs no wait (never blocks).
    private let answers = DispatchQueue(label: "subimport.answers")
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
        store: any JobQueue, scope: WorkScope, provider: any ProviderDefinition, client: any ProviderClient,
        gate: AccountGate, options: WorkOptions, logger: Logger, recorder: AnswerRecorder? = nil
    ) {
        let identity = WorkerIdentity()
        self.identity = identity
        // With no rate limit every departure is granted at once: rows are claimed a little ahead.
        claimer = ClaimCombiner(
            fullBatch: max(1, options.concurrency / 2), aheadLimit: options.rate == 0 ? options.concurrency / 2 : 0
        ) { limit in
            try store.claim(scope: scope, owner: identity, limit: limit, leaseSeconds: options.leaseSeconds)
        }
        self.store = store
        self.recorder = recorder ?? AnswerRecorder(store: store, logger: logger)
        self.scope = scope
        self.client = client
        self.policy = SettlementPolicy(retry: options.retry, fatalCodes: provider.fatalErrorCodes)
        self.gate = gate
        self.options = options
        self.logger = logger
    }

    /// Works the scope until it is settled, stopped by a fatal answer, or `requestStop` is called.
    /// Blocks the calling thread; the workers run on Dispatch queues.
    public func run() -> WorkResult {
        rescueIfDue(force: true)
        // One serial queue per worker for its waits (its lane): serial queues run on Dispatch's
        // overcommit threads, so a worker waiting on the limiter never starves the width-limited
        // global pool that Swift concurrency (and an in-process sandbox) runs on. No thread waits
        // for an answer: the answer is queued onto `answers`, which goes on with the worker.
        let group = DispatchGroup()
        for index in 0..<options.concurrency {
            let worker = Worker(index: index, lane: DispatchQueue(label: "subimport.worker.\(index)"), group: group)
            group.enter()
            worker.lane.async { self.workerLoop(worker, expectWork: false) }
        }
        let renewal = renewLeasesPeriodically()
        group.wait()
        // Rows claimed ahead and never sent go back to the queue as if never claimed.
        for job in claimer.takeRowsClaimedAhead() { settle(job, .release, attempt: nil) }
        recorder.drain()
        renewal.cancel()
        wakeup.lock()
        defer { wakeup.unlock() }
        return WorkResult(fatalStop: gate.stopReason, interrupted: stopRequested, requests: requestCount)
    }

    /// Stop claiming; in-flight requests finish and are settled, and workers waiting on the rate
    /// limiter return at once (their rows were not claimed and stay pending). Safe from any
    /// thread or signal handler queue.
    public func requestStop() {
        wakeup.lock()
        stopRequested = true
        wakeup.broadcast()
        wakeup.unlock()
        gate.limiter.wakeWaiters()
    }

    /// New rows may be runnable (a file was just queued): idle workers look at once.
    public func wake() {
        wakeup.lock()
        wakeups += 1
        wakeup.broadcast()
        wakeup.unlock()
    }

    /// Jobs this pool has sent whose answer is not recorded yet.
    public func jobsInFlight() throws -> Int {
        // Rows claimed ahead are held, not sent: not in flight.
        max(0, try store.runningJobs(owner: identity) - claimer.rowsClaimedAhead)
    }

    private var shouldStop: Bool {
        wakeup.lock()
        defer { wakeup.unlock() }
        return stopRequested || gate.stopReason != nil
    }

    /// One of the pool's `--concurrency` workers: at most one request of its own in flight.
    private struct Worker: Sendable {
        let index: Int
        /// The serial queue its waits (limiter, no work yet) block.
        let lane: DispatchQueue
        /// Left once the worker is done.
        let group: DispatchGroup
    }

    /// Runs `worker` on its lane until it asks for a row (`claimAndSend`, whose answer goes on with
    /// it), or until the pool is done, when it leaves its group. After a successful claim the next
    /// row is likely runnable too (`expectWork`): the look is skipped. After a claim that found
    /// nothing (`lookFirst` false) the worker first waits for work as after an empty look.
    private func workerLoop(_ worker: Worker, expectWork: Bool, lookFirst: Bool = true) {
        var expectWork = expectWork
        var lookFirst = lookFirst
        var handedOff = false
        defer { if !handedOff { worker.group.leave() } }
        while !shouldStop {
            wakeup.lock()
            let wakeupsSeen = wakeups
            wakeup.unlock()
            do {
                if try lookFirst && (expectWork || claimer.rowsClaimedAhead > 0 || store.hasRunnableJob(scope: scope)) {
                    // Claim only once the request may leave (rows claimed ahead at an unlimited
                    // rate aside): a lease never runs out while its row waits.
                    let waitStarted = now()
                    guard gate.limiter.acquire(unless: { self.shouldStop }) else { return }
                    handedOff = true
                    claimAndSend(worker, waitedSince: waitStarted)
                    return
                }
                lookFirst = true
                expectWork = false
                rescueIfDue(force: false)
                let outlook = try store.outlook(scope: scope)
                if outlook.unsettled == 0 && !options.continuous { return }
                var wait = options.idlePoll
                if let next = outlook.nextRunAt { wait = min(max(0.005, next - now()), options.idlePoll) }
                wait = min(max(0.005, wait), 60)
                wakeup.lock()
                if !stopRequested && wakeups == wakeupsSeen {
                    _ = wakeup.wait(until: Date(timeIntervalSinceNow: wait))
                }
                wakeup.unlock()
            } catch {
                logger.error("queue error in worker \(worker.index): \(error)")
                wakeup.lock()
                _ = wakeup.wait(until: Date(timeIntervalSinceNow: 1))
                wakeup.unlock()
            }
        }
    }

    /// Claims a row for `worker`, whose departure the limiter granted (after waiting since
    /// `waitedSince`), and sends it; the worker is handed off: the claim's answer continues it.
    /// A claimed row is sent from wherever the claim completes (the caller's thread for a row
    /// claimed ahead, else the claims' queue): the worker holds nothing else meanwhile, and the
    /// row's answer comes back on `answers`. Never blocks.
    private func claimAndSend(_ worker: Worker, waitedSince: Double) {
        EngineMetrics.limiterWait(
            account: scope.account, seconds: now() - waitedSince, rate: gate.limiter.effectiveRate())
        claimer.claim { claimed in
            if case .success(let job?) = claimed {
                self.process(job, for: worker)
            } else {
                worker.lane.async { self.foundNoRow(claimed, worker: worker) }
            }
        }
    }

    /// Goes on with `worker` after its answer was settled, on `answers`: when its next request
    /// may leave at once (not stopping, the limiter grants a departure without waiting), claims
    /// and sends it here; else hands the worker to its lane, which waits as long as needed.
    private func continueAfterAnswer(_ worker: Worker) {
        if !shouldStop && gate.limiter.tryAcquire() {
            claimAndSend(worker, waitedSince: now())
        } else {
            worker.lane.async { self.workerLoop(worker, expectWork: true) }
        }
    }

    /// Goes on with `worker` on its lane once its claim found no row (none was left, or the
    /// claim failed): gives its departure back and waits for work.
    private func foundNoRow(_ claimed: Result<ClaimedJob?, any Error>, worker: Worker) {
        gate.limiter.refund()
        if case .failure(let error) = claimed {
            logger.error("queue error in worker \(worker.index): \(error)")
            wakeup.lock()
            _ = wakeup.wait(until: Date(timeIntervalSinceNow: 1))
            wakeup.unlock()
        }
        workerLoop(worker, expectWork: false, lookFirst: false)
    }

    /// Renews this pool's leases every third of the lease until cancelled, so that only a dead
    /// pool's leases expire: a row in flight, or whose answer waits for its group commit, is never
    /// rescued while its worker lives.
    private func renewLeasesPeriodically() -> any DispatchSourceTimer {
        let interval = max(0.05, options.leaseSeconds / 3)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "subimport.lease-renewal"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [store, identity, options, logger] in
            do {
                try store.renewLeases(owner: identity, leaseSeconds: options.leaseSeconds)
            } catch {
                logger.warning("lease renewal failed: \(error)")
            }
        }
        timer.resume()
        return timer
    }

    private func rescueIfDue(force: Bool) {
        let time = now()
        wakeup.lock()
        let due = force || time - lastRescue > 5
        if due { lastRescue = time }
        wakeup.unlock()
        guard due else { return }
        do {
            let rescued = try store.rescueAbandonedLeases(policy: policy, rescuer: identity)
            if rescued > 0 {
                logger.warning(
                    "rescued \(rescued) row(s) left in flight by a stopped process; in create mode they are marked possible duplicates"
                )
            }
        } catch {
            logger.error("lease rescue failed: \(error)")
        }
    }

    /// Sends `job` for `worker` without waiting for its answer (from any thread); on `answers`, the
    /// answer is classified, its account actions performed and its settlement handed to the
    /// recorder, then the worker goes on. Once the pool is stopping, `job` is released unsent
    /// instead, on `answers`.
    private func process(_ job: ClaimedJob, for worker: Worker) {
        guard !shouldStop else {
            answers.async {
                self.settle(job, .release, attempt: nil)
                self.continueAfterAnswer(worker)
            }
            return
        }
        let started = now()
        client.send(job, completingOn: answers) { answer in
            self.settle(job, answer: answer, started: started, for: worker)
        }
    }

    /// Classifies `answer` (sent at `started`) by the `SettlementPolicy`, settles `job` by it and
    /// goes on with `worker`. An answer that asks something of the account (throttle, stop) is
    /// finished on the worker's lane: a shared limiter tells its database, and the answers queue
    /// must not wait for that.
    private func settle(_ job: ClaimedJob, answer: ProviderAnswer, started: Double, for worker: Worker) {
        let finished = now()
        wakeup.lock()
        requestCount += 1
        wakeup.unlock()
        let verdict = policy.decide(
            answer, mode: ImportMode(rawValue: job.mode) ?? .create,
            history: AttemptHistory(failures: job.failures, ambiguous: job.ambiguous), now: finished)
        let decision = verdict.decision
        logger.debug("answer: \(decision.failureClass.rawValue)", metadata: .answer(job, decision))
        EngineMetrics.request(provider: job.provider, decision: decision, seconds: finished - started)
        let record = AttemptRecord(
            startedAt: started, finishedAt: finished, failureClass: decision.failureClass,
            httpStatus: decision.httpStatus, errorCode: decision.errorCode,
            message: decision.message.isEmpty ? nil : decision.message, worker: identity.description)
        if verdict.actions.isEmpty && !decision.throttled {
            finish(job, verdict, attempt: record, for: worker)
        } else {
            worker.lane.async { self.finish(job, verdict, attempt: record, for: worker) }
        }
    }

    /// Performs `verdict`'s account actions, hands its settlement of `job` to the recorder and
    /// goes on with `worker`.
    private func finish(_ job: ClaimedJob, _ verdict: Verdict, attempt record: AttemptRecord, for worker: Worker) {
        perform(verdict.actions, job: job, decision: verdict.decision)
        if verdict.decision.throttled {
            EngineMetrics.effectiveRate(account: scope.account, rate: gate.limiter.effectiveRate())
        }
        settle(job, verdict.settlement, attempt: record)
        continueAfterAnswer(worker)
    }

    /// Performs what a verdict asks of the account: slow its limiter down, or stop it.
    private func perform(_ actions: [AccountAction], job: ClaimedJob, decision: AnswerDecision) {
        for action in actions {
            switch action {
            case .throttle(let retryAfter):
                gate.limiter.throttle(retryAfter: retryAfter)
            case .stop(let reason):
                logger.critical(
                    "provider account \(scope.account) stopped: \(reason); remaining rows stay pending",
                    metadata: .answer(job, decision))
                gate.stop(reason: reason)
            }
        }
    }

    /// Hands the answer to the recorder (group commit) and returns: the worker goes on with its
    /// next row while the answer is journaled and recorded; `run` waits for them all.
    private func settle(_ job: ClaimedJob, _ settlement: Settlement, attempt: AttemptRecord?) {
        recorder.submit(job, leaseOwner: identity.description, settlement, attempt: attempt) { outcome in
            switch outcome {
            case .recorded:
                if case .settle(let state, _, _, _, _, _) = settlement {
                    EngineMetrics.settled(provider: job.provider, status: state)
                }
            case .notHeld:
                self.logger.warning(
                    "row \(job.row) of batch \(job.batchID) was rescued by another process meanwhile",
                    metadata: .row(job))
            case .storeUnwritable:
                // The answer is kept in the journal; the next start applies it.
                self.requestStop()
            }
            // Counted as a wake-up, not only signalled: a worker that looked at the queue just
            // before this answer was recorded (and saw its batch unsettled) must not then wait a
            // whole `idlePoll` for a signal it missed.
            self.wake()
        }
    }
}

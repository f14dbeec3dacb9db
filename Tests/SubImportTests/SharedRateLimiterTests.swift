import Foundation
import Logging
import Testing

@testable import SubImport
@testable import SubImportPostgres

/// One rate and one fatal stop per provider account across processes and hosts (issue 12,
/// item 3): `SharedAccountLimiter` on a real PostgreSQL server. Each limiter below has its own
/// connection pool, as a separate process would. The server is named by
/// `SUBIMPORT_TEST_POSTGRES_URL` and `SUBIMPORT_TEST_POSTGRES_PASSWORD`; without them the
/// tests are skipped.
@Suite(PostgresTestDatabase.required)
struct SharedRateLimiterTests {
    static let account = "octopush:rate-test"

    // MARK: The slot arithmetic, on explicit clocks

    @Test func burstLeavesAtOnceThenDeparturesAreSpacedByTheRate() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 10, burst: 3)
            let waits = try (0..<6).map { _ in try reserve(pool, at: 100).wait }
            #expect(waits[0...2].allSatisfy { $0 == 0 })
            #expect(abs(waits[3] - 0.1) < 1e-6 && abs(waits[4] - 0.2) < 1e-6 && abs(waits[5] - 0.3) < 1e-6)
            // After a quiet second the bucket is full again, but never above the burst.
            let later = try (0..<4).map { _ in try reserve(pool, at: 102).wait }
            #expect(later[0...2].allSatisfy { $0 == 0 })
            #expect(abs(later[3] - 0.1) < 1e-6)
        }
    }

    @Test func reservationsWaitExactlyAsLongAsInTheInProcessTokenBucket() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 40, burst: 4)
            let bucket = TokenBucket(rate: 40, burst: 4)
            var time = 1_000.0
            for step in 0..<300 {
                // Bursts of arrivals (7 in 11 arrive together), then gaps of up to 0.3 s.
                time += step * 37 % 11 < 7 ? 0 : Double(step * 53 % 301) / 1000
                let expected = bucket.reserve(at: time)
                let wait = try reserve(pool, at: time).wait
                #expect(abs(wait - expected) < 1e-6, "arrival \(step) at \(time)")
            }
        }
    }

    @Test func aBatchOfReservationsLeavesExactlyAsOneReservationAtATimeWould() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 20, burst: 3)
            try register(pool, rate: 20, burst: 3, account: "batched")
            for (time, count) in [(100.0, 5), (100.1, 1), (100.1, 4), (103, 2), (103.05, 6)] {
                let single = try (0..<count).map { _ in try reserve(pool, at: time).wait }
                let batch = try #require(
                    try pool.withConnection {
                        try AccountRateTable.reserve($0, account: "batched", count: count, clock: time)
                    })
                let batched = batch.waits(count: count)
                #expect(
                    zip(single, batched).allSatisfy { abs($0 - $1) < 1e-6 }, "\(count) at \(time): \(single) \(batched)"
                )
            }
        }
    }

    @Test func aRefundGivesTheSlotToTheNextArrivalButNeverExceedsTheBurst() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 10, burst: 1)
            #expect(try reserve(pool, at: 100).wait == 0)
            #expect(abs(try reserve(pool, at: 100).wait - 0.1) < 1e-6)
            try pool.withConnection { try AccountRateTable.refund($0, account: Self.account, clock: 100) }
            #expect(abs(try reserve(pool, at: 100).wait - 0.1) < 1e-6, "the refunded slot is taken again")
            // Refunds on a full bucket save nothing up: one departure at once, the next spaced.
            try pool.withConnection { session in
                for _ in 0..<5 { try AccountRateTable.refund(session, account: Self.account, clock: 200) }
            }
            #expect(try reserve(pool, at: 200).wait == 0)
            #expect(abs(try reserve(pool, at: 200).wait - 0.1) < 1e-6)
        }
    }

    @Test func aThrottleHalvesTheRatePausesEveryoneAndRecoversLikeTheTokenBucket() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 8, burst: 1)
            _ = try reserve(pool, at: 0.5)
            #expect(try throttle(pool, pause: 2, at: 1) == 4)
            let wait = try reserve(pool, at: 1).wait
            #expect(wait >= 2, "held for the provider's Retry-After")
            #expect(try throttle(pool, pause: 1, at: 2) == 2)
            #expect(try reserve(pool, at: 7.5).effectiveRate == 4, "doubled after one recovery interval")
            #expect(try reserve(pool, at: 12.5).effectiveRate == 8, "back to the configured rate")
            for time in [13.0, 14, 15] { _ = try throttle(pool, pause: 0, at: time) }
            for time in [16.0, 17] { #expect(try throttle(pool, pause: 0, at: time) == 0.5, "never below 1/16") }
        }
    }

    @Test func aThrottleCarriesTheReservedDebtOverAfterThePause() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 10, burst: 1)
            let bucket = TokenBucket(rate: 10, burst: 1)
            for _ in 0..<5 {
                _ = try reserve(pool, at: 100)
                _ = bucket.reserve(at: 100)
            }
            _ = try throttle(pool, pause: 1, at: 100)
            bucket.throttle(retryAfter: 1, at: 100)
            let expected = bucket.reserve(at: 100)
            #expect(abs(expected - 2) < 1e-6)
            #expect(abs(try reserve(pool, at: 100).wait - expected) < 1e-6)
        }
    }

    @Test func anUnlimitedAccountLeavesWithoutARoundTripEachAndStillSeesAStop() async throws {
        try await RateTestDatabase.with { pool, database in
            let here = try database.limiters(stopPollInterval: 0.2).limiter(account: Self.account, rate: 0, burst: 1)
            let there = try database.limiters().limiter(account: Self.account, rate: 0, burst: 1)
            let granted = await onDedicatedThread { (0..<200).filter { _ in here.acquire(unless: { false }) }.count }
            #expect(granted == 200)
            let reserved = try pool.withConnection { try AccountRateTable.reserved($0, account: Self.account) }
            #expect(reserved < 20, "\(reserved) round trips for 200 unlimited departures")
            there.publishStop(reason: "HTTP 401 from another host")
            #expect(await waitFor(seconds: 10) { !here.acquire(unless: { false }) }, "the stop is seen within the poll")
        }
    }

    @Test func unlimitedOnlyPausesOnThrottle() async throws {
        try await RateTestDatabase.withPool { pool in
            try register(pool, rate: 0, burst: 1)
            #expect(try (0..<20).allSatisfy { _ in try reserve(pool, at: 5).wait == 0 })
            #expect(try throttle(pool, pause: 3, at: 5) == 0)
            #expect(abs(try reserve(pool, at: 6).wait - 2) < 1e-6)
        }
    }

    // MARK: Limiters of separate processes

    /// Measures a rate: `scripts/test.sh` runs it after the other tests, on a quiet machine.
    @Test(arguments: [2, 3]) func processesTogetherKeepToTheRate(processes: Int) async throws {
        try await RateTestDatabase.with { _, database in
            let rate = 100.0
            let limiters = try (0..<processes).map { _ in
                try database.limiters().limiter(account: Self.account, rate: rate, burst: 1)
            }
            let each = 204 / (3 * processes)
            let times = try await departures(of: limiters, threadsEach: 3, departuresEach: each)
            let all = times.flatMap { $0 }.sorted()
            let measured = Double(all.count - 1) / (all.last! - all.first!)
            #expect(
                abs(measured - rate) / rate <= 0.05, "\(all.count) departures at \(measured)/s for a rate of \(rate)")
            #expect(times.allSatisfy { $0.count == 3 * each }, "every process sent all its departures")
            #expect(
                try database.pool.withConnection { try AccountRateTable.reserved($0, account: Self.account) }
                    == all.count)
        }
    }

    /// Measures a rate: `scripts/test.sh` runs it after the other tests, on a quiet machine.
    @Test func aThrottleByOneProcessHalvesTheOthersPace() async throws {
        try await RateTestDatabase.with { _, database in
            let rate = 120.0
            // Recovery is far off: the halved pace holds for the whole test, however slow the machine.
            let first = try database.limiters(recoveryInterval: 600).limiter(
                account: Self.account, rate: rate, burst: 1)
            let second = try database.limiters(recoveryInterval: 600).limiter(
                account: Self.account, rate: rate, burst: 1)
            first.throttle(retryAfter: 0.1)
            #expect(first.effectiveRate() == rate / 2)
            let times = try await departures(of: [second], threadsEach: 2, departuresEach: 30)[0].sorted()
            let measured = Double(times.count - 1) / (times.last! - times.first!)
            #expect(abs(measured - rate / 2) / (rate / 2) <= 0.05, "the other process paced at \(measured)/s")
            #expect(second.effectiveRate() == rate / 2)
        }
    }

    @Test func aStopByOneProcessEndsTheOthersNextAcquireAndResumeLiftsIt() async throws {
        try await RateTestDatabase.with { _, database in
            let gatesA = try database.limiters().accountGates()
            let gatesB = try database.limiters().accountGates()
            let a = try gatesA.gate(account: Self.account, rate: 50, burst: 2)
            let b = try gatesB.gate(account: Self.account, rate: 50, burst: 2)
            #expect(b.limiter.acquire())
            a.stop(reason: "error 101: invalid credentials")
            #expect(!b.limiter.acquire(), "the next acquire of the other process sees the stop")
            #expect(b.stopReason == "error 101: invalid credentials")
            #expect(b.limiter.reservations == 1, "nothing was reserved for a stopped account")

            b.resume()
            #expect(b.stopReason == nil)
            #expect(a.limiter.acquire(), "a resume anywhere lifts the stop everywhere")
            #expect(
                a.stopReason == "error 101: invalid credentials",
                "the stopping process keeps its own stop until it resumes")
        }
    }

    @Test func aCallerWaitingForItsSlotSeesAStopPublishedElsewhere() async throws {
        try await RateTestDatabase.with { _, database in
            let waiting = try database.limiters(stopPollInterval: 0.05).limiter(
                account: Self.account, rate: 10, burst: 1)
            let stopping = try database.limiters().limiter(account: Self.account, rate: 10, burst: 1)
            stopping.throttle(retryAfter: 600)
            let result = BackgroundWork { waiting.acquire() }
            #expect(await waitFor { waiting.waiting == 1 })
            stopping.publishStop(reason: "account suspended")
            #expect(await waitFor { result.value != nil })
            #expect(result.value == false)
            #expect(waiting.publishedStopReason == "account suspended")
            #expect(waiting.reservations == 0, "the slot it waited for was given back")
        }
    }

    @Test func theLastProcessToStartSetsTheRateForAllAndLiftsAStop() async throws {
        try await RateTestDatabase.with { pool, database in
            let early = try database.limiters().limiter(account: Self.account, rate: 10, burst: 1)
            early.publishStop(reason: "fatal")
            let late = try database.limiters().limiter(account: Self.account, rate: 40, burst: 2)
            #expect(early.acquire(), "starting lifted the stop")
            #expect(early.effectiveRate() == 40, "the early process follows the late one's rate")
            #expect(early.configuredRate == 10 && late.configuredRate == 40)
            #expect(try pool.withConnection { try AccountRateTable.stopReason($0, account: Self.account) } == nil)
        }
    }

    @Test func aCancelledLimiterReturnsAtOnceAndReservesNothing() async throws {
        try await RateTestDatabase.with { pool, database in
            let limiter = try database.limiters().limiter(account: Self.account, rate: 10, burst: 1)
            limiter.cancel()
            #expect(!limiter.acquire())
            #expect(try pool.withConnection { try AccountRateTable.reserved($0, account: Self.account) } == 0)
        }
    }

    @Test func aStopPublishedByAnotherRuntimeEndsThisRuntimesWork() async throws {
        try await RateTestDatabase.with { _, database in
            var options = EngineHarness.fastOptions
            options.rate = 10
            options.concurrency = 2
            let harness = try await EngineHarness(options: options)
            // Two runtimes, as two hosts: each its own gates, over a pool of its own.
            let working = try harness.makeSession(
                mode: .create, options: options, gates: try database.limiters(stopPollInterval: 0.05).accountGates())
            let stopping = try harness.makeSession(
                mode: .create, options: options, gates: try database.limiters().accountGates())
            #expect(working.gate.limiter is SharedAccountLimiter)
            let summary = try working.ingest(path: harness.directory.write("a.csv", Fixtures.validRows(20)))
            let result = BackgroundWork { working.work(batchIDs: [summary.batch.id]) }
            #expect(await waitFor { harness.sandbox.requestCount() >= 2 })

            stopping.gate.stop(reason: "HTTP 403 code 150 on the other host")
            #expect(await waitFor { result.value != nil })
            #expect(result.value?.fatalStop == "HTTP 403 code 150 on the other host")
            #expect(try working.store.statusCounts(batchID: summary.batch.id)["pending"] ?? 0 > 0)
            #expect(
                try database.pool.withConnection { try AccountRateTable.reserved($0, account: working.account.key) }
                    == result.value?.requests, "every request of the runtime reserved one shared departure")
            await harness.close()
        }
    }

    /// An answer that throttles the account makes the shared limiter write its database row; a
    /// long transaction elsewhere holding that row must not hold the other answers of the run.
    @Test func aThrottleWaitingForTheDatabaseHoldsNoOtherAnswer() async throws {
        try await RateTestDatabase.with { pool, database in
            let created = #"{"api_key":"k3y-created","api_login":"sub@example.com"}"#
            // The first request is throttled at once; the other is answered 0.3 s later.
            let server = try HostileServer(
                [
                    HostileServer.Answer(status: 429, headers: [("Retry-After", "0")]),
                    HostileServer.Answer(status: 201, body: created, delay: 0.3),
                ], handling: .keepAlive)
            defer { server.stop() }
            let directory = TestDirectory("throttle-held")
            var options = EngineHarness.fastOptions
            options.concurrency = 2
            let session = try ImportSession(
                stateDirectory: directory.file("state"), reportsDirectory: directory.file("reports"),
                account: ProviderAccount(
                    provider: OctopushProvider(), baseURL: server.baseURL,
                    credentials: ProviderCredentials(login: "master@example.com", key: "master-key"), isSandbox: false),
                mode: .create, options: options, gates: try database.limiters(stopPollInterval: 60).accountGates(),
                logger: RateTestDatabase.logger)
            let account = session.account.key
            let summary = try session.ingest(path: directory.write("a.csv", Fixtures.validRows(2)))
            // One reservation now: the unlimited account's next departures need no round trip
            // for the stop poll's interval (so they do not wait for the row held below).
            #expect(session.gate.limiter.acquire())
            session.gate.limiter.refund()
            // Another host's long transaction holds the account's rate row.
            let locked = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let holder = BackgroundWork {
                (try? pool.transaction { (session) -> Void in
                    _ = try session.query("SELECT 1 FROM subimport_account_rate WHERE account = \(account) FOR UPDATE")
                    locked.signal()
                    release.wait()
                }) != nil
            }
            locked.wait()
            let result = BackgroundWork { session.work(batchIDs: [summary.batch.id]) }
            let createdMeanwhile = try await waitFor(seconds: 10) {
                (try session.store.statusCounts(batchID: summary.batch.id)["created"] ?? 0) >= 1
            }
            release.signal()
            #expect(createdMeanwhile, "the other answer is recorded while the throttle waits for the row")
            #expect(await waitFor { result.value != nil && holder.value != nil })
            #expect(try session.store.statusCounts(batchID: summary.batch.id)["created"] == 2)
        }
    }

    // MARK: Helpers

    private func register(
        _ pool: PostgresConnectionPool, rate: Double, burst: Double, account: String = Self.account
    ) throws {
        _ = try pool.transaction { session in
            try PostgresMigrations.migrate(session)
            return try AccountRateTable.register(
                session, account: account, rate: rate, burst: burst, recoveryInterval: 5, by: "test")
        }
    }

    private func reserve(_ pool: PostgresConnectionPool, at clock: Double) throws -> AccountRateTable.Reservation {
        let reservation = try pool.withConnection {
            try AccountRateTable.reserve($0, account: Self.account, clock: clock)
        }
        return try #require(reservation)
    }

    private func throttle(_ pool: PostgresConnectionPool, pause: Double, at clock: Double) throws -> Double? {
        try pool.withConnection { try AccountRateTable.throttle($0, account: Self.account, pause: pause, clock: clock) }
    }

    /// Runs `threadsEach` threads per limiter, each acquiring `departuresEach` departures; the
    /// monotonic times at which each limiter's departures were let go.
    private func departures(of limiters: [SharedAccountLimiter], threadsEach: Int, departuresEach: Int) async throws
        -> [[Double]]
    {
        // Threads of their own, started at once whatever the test pool is busy with.
        let threads = limiters.map { limiter in
            (0..<threadsEach).map { _ in
                BackgroundWork {
                    (0..<departuresEach).compactMap { _ in limiter.acquire() ? TokenBucket.monotonic() : nil }
                }
            }
        }
        #expect(await waitFor(seconds: 120) { threads.joined().allSatisfy { $0.value != nil } })
        return threads.map { $0.flatMap { $0.value ?? [] } }
    }
}

/// A database of one test's own (`PostgresTestDatabase`), with a pool on it and limiters over
/// pools of their own (as other processes would have); dropped afterwards with every connection
/// the test opened.
final class RateTestDatabase: @unchecked Sendable {
    let location: PostgresLocation
    let password: String
    /// A pool of the test's own on the database (the test's "process").
    let pool: PostgresConnectionPool
    private let lock = NSLock()
    private var made: [SharedAccountLimiters] = []

    private init(location: PostgresLocation, password: String, pool: PostgresConnectionPool) {
        self.location = location
        self.password = password
        self.pool = pool
    }

    /// Limiters over a pool of their own, as another process would have.
    func limiters(stopPollInterval: Double = 1, recoveryInterval: Double = 5) throws -> SharedAccountLimiters {
        let limiters = try SharedAccountLimiters(
            location: location, password: password, stopPollInterval: stopPollInterval,
            recoveryInterval: recoveryInterval, logger: Self.logger)
        lock.withLock { made.append(limiters) }
        return limiters
    }

    private func shutdown() {
        for limiters in lock.withLock({ made }) { limiters.shutdown() }
        pool.shutdown()
    }

    static var logger: Logger {
        var logger = Logger(label: "shared-rate-test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a new database and a pool on it, then drops the database.
    static func with(_ body: (PostgresConnectionPool, RateTestDatabase) async throws -> Void) async throws {
        let created = try await PostgresTestDatabase.create()
        let location = try PostgresLocation(url: created.url)
        let outcome: Result<Void, any Error>
        do {
            let pool = try PostgresConnectionPool(
                location: location, password: created.password, size: 2, logger: logger)
            let database = RateTestDatabase(location: location, password: created.password, pool: pool)
            do {
                try await body(pool, database)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await onDedicatedThread { database.shutdown() }
        }
        await created.drop()
        try outcome.get()
    }

    static func withPool(_ body: (PostgresConnectionPool) async throws -> Void) async throws {
        try await with { pool, _ in try await body(pool) }
    }
}

/// A shared limiter whose database cannot be reached is refused when it is made, saying where
/// (never with the password), rather than pacing nobody.
@Suite struct SharedRateLimiterUnreachableTests {
    @Test func aDatabaseThatCannotBeReachedIsAClearErrorWithoutThePassword() throws {
        let location = try PostgresLocation(url: "postgres://subimport@127.0.0.1:\(closedLoopbackPort())/queue")
        let limiters = try SharedAccountLimiters(
            location: location, password: "s3cret-password", logger: RateTestDatabase.logger)
        defer { limiters.shutdown() }
        let error = #expect(throws: SubImportError.self) {
            _ = try limiters.accountGates().gate(account: "octopush:a", rate: 5, burst: 1)
        }
        let text = "\(String(describing: error))"
        #expect(text.contains("cannot connect") && text.contains("127.0.0.1"), "\(text)")
        #expect(!text.contains("s3cret-password"))
    }
}

import ArgumentParser
import Foundation
import SubImport

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract:
            "Import every complete CSV file dropped into a folder, continuously, until SIGINT/SIGTERM; reports land in --reports as each batch settles."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "The folder to watch (created 0700 if missing).")
    var inbox: String

    @Flag(help: "Look at the inbox periodically instead of using inotify (network shares, non-Linux).")
    var poll = false

    @Option(help: "Seconds a file must stay unchanged (size and mtime) before it is taken without a close event.")
    var settle: Double = 2

    @Option(
        name: .customLong("shutdown-timeout"),
        help: "Seconds in-flight requests get to finish after SIGINT/SIGTERM.")
    var shutdownTimeout: Double = 10

    @Option(
        name: .customLong("fatal-cooldown"),
        help: "Seconds sending pauses after a fatal provider answer (bad credentials, quota) before trying again.")
    var fatalCooldown: Double = 300

    @Option(
        name: .customLong("claim-stale-after"),
        help:
            "With a shared queue (--queue): seconds after which another host's watch adopts a claimed inbox file whose watch stopped touching it (a watch of this host whose process is gone is adopted at once)."
    )
    var claimStaleAfter: Double = ClaimSharing.defaultStaleAfter

    @Option(
        help:
            "Prune finished batches and inbox files older than this age (90d, 12h, …) at start and once a day, like `subimport prune --older-than`."
    )
    var retain: String?

    @Option(
        name: .customLong("metrics-listen"),
        help:
            "Serve Prometheus metrics at http://HOST:PORT/metrics and a health answer at /healthz (like 127.0.0.1:9464; port 0 = a free one)."
    )
    var metricsListen: ListenAddress?

    func validate() throws {
        if let retain, RetentionAge(retain) == nil {
            throw ValidationError("--retain takes a whole number and a unit d, h, m or s, like 90d (got \(retain))")
        }
        guard !inbox.isEmpty else { throw ValidationError("--inbox needs a folder") }
        guard settle >= 0, settle.isFinite else { throw ValidationError("--settle must be 0 or more seconds") }
        guard shutdownTimeout >= 0, shutdownTimeout.isFinite else {
            throw ValidationError("--shutdown-timeout must be 0 or more seconds")
        }
        guard fatalCooldown >= 0, fatalCooldown.isFinite else {
            throw ValidationError("--fatal-cooldown must be 0 or more seconds")
        }
        guard claimStaleAfter >= 1, claimStaleAfter.isFinite else {
            throw ValidationError("--claim-stale-after must be 1 second or more")
        }
        for (flag, folder) in [("--reports", common.paths.reports), ("--state", common.paths.state)]
        where folder.absolutePath == inbox.absolutePath {
            throw ValidationError("\(flag) cannot be the inbox (\(inbox)): its files would be taken as input")
        }
    }

    func run() async throws {
        // Trapped from the start: a signal during start-up stops the service as soon as it exists.
        let stop = StopRelay()
        let trap = SignalTrap { stop.fire() }
        let runtime = try await Runtime.makeOrExit(common, needsCredentials: true, sendingAs: "watch")
        let service: InboxService
        do {
            service = try InboxService(
                session: runtime.session,
                configuration: InboxConfiguration(
                    inbox: inbox, polling: poll, settleSeconds: settle, shutdownTimeout: shutdownTimeout,
                    fatalCooldown: fatalCooldown,
                    // Claims are shared only when the queue is: a file finished by another state
                    // folder's own queue would have its rows queued twice.
                    claims: common.paths.queueURL == nil ? .stateFolder : .inbox(staleAfter: claimStaleAfter)),
                logger: runtime.logger)
        } catch {
            printError("error: \(error)")
            await runtime.close()
            throw ExitCode(2)
        }
        var metrics: MetricsEndpoint?
        if let metricsListen {
            do {
                metrics = try await WatchMetrics.serve(at: metricsListen, service: service, logger: runtime.logger)
            } catch {
                printError("error: cannot serve metrics on \(metricsListen.host):\(metricsListen.port): \(error)")
                await runtime.close()
                throw ExitCode(2)
            }
        }
        stop.connect { service.requestStop() }
        let retention = retain.flatMap(RetentionAge.init).map {
            RetentionSchedule(pruner: Pruner(store: runtime.session.store), age: $0, logger: runtime.logger).start()
        }
        let shutdown = await onDedicatedThread { service.run() }
        retention?.cancel()
        await metrics?.stop()
        withExtendedLifetime(trap) {}
        if let failure = runtime.session.storeFailure {
            printError("stopped: \(failure)")
            await runtime.close()
            throw ExitCode(3)
        }
        if !shutdown.clean {
            var left: [String] = []
            if shutdown.requestsLeftInFlight > 0 {
                left.append(
                    "\(shutdown.requestsLeftInFlight) request(s) unanswered (the next start retries their rows, marked possible duplicates)"
                )
            }
            if shutdown.fileInProgress { left.append("a file still being queued (the next start queues it again)") }
            runtime.logger.warning(
                "stopped after the \(shutdownTimeout) s shutdown timeout with \(left.joined(separator: " and "))")
            // The unanswered requests hold the HTTP client: exit without waiting for them, after
            // one last checkpoint (settled rows' passwords leave the WAL, recorded answers the journal).
            runtime.session.recorder.finish()
            Foundation.exit(0)
        }
        runtime.logger.info("stopped: every request in flight was answered and recorded")
        await runtime.close()
    }
}

/// Hands a stop request to whatever is connected, even when it came before the connection.
private final class StopRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var action: (@Sendable () -> Void)?

    /// Asks for a stop: runs the connected action now, or as soon as one is connected.
    func fire() {
        lock.lock()
        fired = true
        let action = self.action
        lock.unlock()
        action?()
    }

    /// Connects the action a stop runs; runs it at once if a stop was already asked.
    func connect(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        self.action = action
        let fired = self.fired
        lock.unlock()
        if fired { action() }
    }
}

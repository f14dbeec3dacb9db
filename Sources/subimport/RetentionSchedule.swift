import Foundation
import Logging
import SubImport

/// `watch --retain`: prunes what is older than the age once at start, then once a day, logging
/// what it removed, until cancelled.
struct RetentionSchedule: Sendable {
    let pruner: Pruner
    let age: RetentionAge
    let logger: Logger
    /// Seconds between two prunes.
    var interval: Double = 86_400

    /// Starts the schedule; cancel the task to stop it.
    func start() -> Task<Void, Never> {
        Task.detached {
            while !Task.isCancelled {
                pruneOnce()
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            }
        }
    }

    /// One prune, logged (a failure is logged and tried again at the next turn).
    func pruneOnce() {
        do {
            let result = try pruner.prune(olderThan: age, dryRun: false)
            let lines = result.lines(dryRun: false, age: age)
            for line in lines.dropLast() { logger.info("retention: \(line)") }
            logger.info("retention: \(lines.last ?? "")")
        } catch {
            logger.error("retention: prune failed: \(error); tried again in \(Int(interval)) s")
        }
    }
}

import Dispatch
import Foundation
import SubImport

#if canImport(Glibc)
    import Glibc
#endif

/// Shows how far a run is: on a terminal, one line redrawn every half second; otherwise a
/// plain line every 5 seconds. Reads the queue's counters only (cheap at any batch size).
final class ProgressReporter: @unchecked Sendable {
    private let store: any JobQueue
    private let batchIDs: [String]
    private let isTerminal = isatty(STDERR_FILENO) == 1 && StandardError.format == .text
    private let timer: any DispatchSourceTimer
    private let startedAt = Date()
    private var initialUnsettled: Int?
    private var drewLine = false

    private let interval: Double

    /// `interval` overrides the default pace (0.5 s on a terminal, 5 s otherwise).
    init(store: any JobQueue, batchIDs: [String], interval: Double? = nil) {
        self.store = store
        self.interval = interval ?? (isatty(STDERR_FILENO) == 1 && StandardError.format == .text ? 0.5 : 5.0)
        self.batchIDs = batchIDs
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "subimport.progress"))
    }

    func start() {
        initialUnsettled = unsettledNow()
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        if isTerminal && drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func tick() {
        guard let unsettled = unsettledNow() else { return }
        let total = max(initialUnsettled ?? unsettled, unsettled)
        let done = total - unsettled
        let elapsed = Date().timeIntervalSince(startedAt)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Self.duration(Double(unsettled) / rate) : "--"
        let line = String(format: "%d/%d rows settled · %.1f rows/s · ETA %@", done, total, rate, eta)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            drewLine = true
        } else {
            StandardError.message(line, level: .info)
        }
    }

    /// Rows of the run's batches still to settle, from the batches' counters.
    private func unsettledNow() -> Int? {
        guard let batches = try? batchIDs.compactMap({ try store.batch(id: $0) }) else { return nil }
        return batches.reduce(0) { $0 + ($1.state == .ready ? $1.unsettled : 0) }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total)s"
    }
}

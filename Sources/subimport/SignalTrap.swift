import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT / SIGTERM handling: the first signal calls `onStop` (finish in-flight work, exit
/// cleanly); a second one exits at once with status 130. State stays consistent either way:
/// every change is a committed transaction.
final class SignalTrap: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(onStop: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.count += 1
                let first = self.count == 1
                self.lock.unlock()
                if first {
                    printError("stopping: finishing requests in flight (signal again to exit now)")
                    onStop()
                } else {
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal was received.
    var triggered: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }
}

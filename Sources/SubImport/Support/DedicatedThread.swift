import Foundation

/// Runs blocking work (Dispatch worker pools, synchronous HTTP shutdown) on a thread of its own
/// and awaits its result, so that Swift concurrency's small cooperative pool (two threads on a
/// two-core machine) is never blocked — an in-process sandbox server needs those threads.
public func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.start()
    }
}

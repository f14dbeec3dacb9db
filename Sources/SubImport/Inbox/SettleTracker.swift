/// Decides when files have stopped changing: a file is settled once its size and modification
/// time (and identity) have stayed the same for `window` seconds of observation.
///
/// Pure bookkeeping: the caller observes each candidate at its own pace and passes the time.
/// The first observation of a file never settles it (it may be being written right now), so
/// a file is taken at the earliest `window` seconds after it was first seen unchanged.
public struct SettleTracker: Sendable {
    /// Seconds a file must stay unchanged.
    public let window: Double
    private var seen: [String: (signature: FileSignature, since: Double)] = [:]

    public init(window: Double) {
        self.window = max(0, window)
    }

    /// Records how `name` looks at `time` (seconds, any monotonic clock) and returns whether it
    /// has looked the same for at least `window` seconds.
    public mutating func observe(_ name: String, _ signature: FileSignature, at time: Double) -> Bool {
        if let previous = seen[name], previous.signature.sameContent(as: signature) {
            return time - previous.since >= window
        }
        seen[name] = (signature, time)
        return false
    }

    /// Stops tracking `name` (taken, or gone).
    public mutating func forget(_ name: String) {
        seen[name] = nil
    }

    /// Stops tracking every name not in `names` (files that disappeared).
    public mutating func keepOnly(_ names: Set<String>) {
        seen = seen.filter { names.contains($0.key) }
    }

    /// The names being tracked.
    public var tracked: [String] { Array(seen.keys) }

    /// Whether `name` is being tracked.
    public func isTracking(_ name: String) -> Bool { seen[name] != nil }
}

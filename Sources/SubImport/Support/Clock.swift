import Foundation

/// Wall-clock seconds since 1970, the time unit stored in the queue database.
public typealias Timestamp = Double

/// The current time as stored in the queue.
@inline(__always)
public func now() -> Timestamp { Date().timeIntervalSince1970 }

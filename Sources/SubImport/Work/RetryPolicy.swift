/// When to try a row again after a transient failure.
///
/// Exponential backoff with full jitter: the n-th failure waits a uniformly random time in
/// `[0, min(maxDelay, baseDelay · 2^(n-1))]`, and never less than the provider's `Retry-After`
/// (up to `retryAfterCeiling`; a longer one stops the account, see `SettlementPolicy`).
public struct RetryPolicy: Sendable, Equatable {
    /// Most transient failures a row may have before it is given up (`--max-attempts`).
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// Retry rows whose attempt may have reached the provider (false: settle them `uncertain`).
    public var retryAmbiguous: Bool
    /// The longest `Retry-After` (seconds) honoured by waiting; a provider asking for longer is
    /// treated as unavailable and its account stops, as on a fatal answer. 15 minutes by default.
    public var retryAfterCeiling: Double

    public static let defaultRetryAfterCeiling: Double = 900

    public init(
        maxAttempts: Int = 8, baseDelay: Double = 0.5, maxDelay: Double = 60, retryAmbiguous: Bool = true,
        retryAfterCeiling: Double = RetryPolicy.defaultRetryAfterCeiling
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = Self.seconds(baseDelay)
        self.maxDelay = Self.seconds(maxDelay)
        self.retryAmbiguous = retryAmbiguous
        self.retryAfterCeiling = Self.seconds(retryAfterCeiling)
    }

    /// Seconds to wait after the `failures`-th failure (1-based), honouring `retryAfter` up to
    /// `retryAfterCeiling`. Always finite, never negative, whatever `retryAfter` is.
    public func delay<G: RandomNumberGenerator>(
        afterFailure failures: Int, retryAfter: Double?, using generator: inout G
    )
        -> Double
    {
        let exponent = Double(min(max(failures - 1, 0), 30))
        let ceiling = min(maxDelay, baseDelay * pow2(exponent))
        let jittered = ceiling > 0 ? Double.random(in: 0...ceiling, using: &generator) : 0
        return max(jittered, min(RetryAfter.sane(retryAfter) ?? 0, retryAfterCeiling))
    }

    /// Seconds to wait after the `failures`-th failure, with the system random generator.
    public func delay(afterFailure failures: Int, retryAfter: Double?) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(afterFailure: failures, retryAfter: retryAfter, using: &generator)
    }

    /// Whether a row that just had its `failures`-th failure has used up its attempts.
    public func isExhausted(failures: Int) -> Bool { failures >= maxAttempts }

    private func pow2(_ exponent: Double) -> Double { Double(1 << Int(exponent)) }

    /// `value` as a duration: non-negative and at most a year (NaN counts as 0).
    static func seconds(_ value: Double) -> Double {
        value.isNaN ? 0 : min(max(0, value), 365 * 86_400)
    }
}

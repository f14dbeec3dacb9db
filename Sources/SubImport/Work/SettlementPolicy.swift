import Foundation

/// What a row's earlier attempts left behind: the facts the settlement policy weighs.
public struct AttemptHistory: Sendable, Equatable {
    /// Transient failures before this attempt (counted against `RetryPolicy.maxAttempts`).
    public var failures: Int
    /// An earlier attempt may have reached the provider and created the account.
    public var ambiguous: Bool

    public init(failures: Int, ambiguous: Bool) {
        self.failures = failures
        self.ambiguous = ambiguous
    }
}

/// What the caller must do to the row's provider account, besides settling the row. The policy
/// only returns these; the worker pool performs them.
public enum AccountAction: Sendable, Equatable {
    /// The provider pushed back: slow the shared limiter down and hold every sender for
    /// `retryAfter` seconds (nil: the limiter's default pause).
    case throttle(retryAfter: Double?)
    /// Stop every sender of the account (rows stay pending); `reason` is said to the operator.
    case stop(reason: String)
}

/// The outcome of one attempt: how its answer was classified (for the attempt record), the
/// row's next state, and what happens to the account.
public struct Verdict: Sendable, Equatable {
    public var decision: AnswerDecision
    public var settlement: Settlement
    public var actions: [AccountAction]
}

/// The one rule that turns an answer into a row's next state, used by the worker pool for every
/// answer and by lease rescue for a crash in flight (`abandoned`). Pure: it reads no clock, no
/// store and no shared state, and performs nothing.
///
/// - `created` settles `created` (`updated` in update mode) with the login and key.
/// - `unreadable` (a 2xx whose body cannot be read) settles `uncertain`: the account exists.
/// - `rejected` settles `failed`, not retried.
/// - `fatal` releases the row (pending) and stops the account.
/// - `notSent` and `ambiguous` are retried after the backoff, at most `maxAttempts` failures.
///   In a mode that is not safe to repeat (create), an ambiguous attempt marks the row a
///   `possible duplicate`, and a row with an ambiguous attempt that cannot be retried (attempts
///   used up, or `--no-retry-ambiguous`) settles `uncertain`; otherwise an exhausted row is
///   `failed`. In update mode a repeat changes nothing more: ambiguity leaves no note and
///   never makes a row `uncertain`.
/// - A `Retry-After` beyond `RetryPolicy.retryAfterCeiling` is the provider saying it is
///   unavailable: the account stops (the row is released, or rescheduled when the attempt
///   itself was ambiguous, so that its ambiguity is remembered).
public struct SettlementPolicy: Sendable {
    public var retry: RetryPolicy
    /// Provider error codes that stop the account (`ProviderDefinition.fatalErrorCodes`).
    public var fatalCodes: Set<String>

    public init(retry: RetryPolicy, fatalCodes: Set<String>) {
        self.retry = retry
        self.fatalCodes = fatalCodes
    }

    /// What a crash in flight amounts to: the request may have reached the provider.
    public static let abandoned = ProviderAnswer.transport(
        requestSent: true, message: "the process sending this row stopped before recording the answer")

    /// The verdict on `answer` to a row of `mode` with `history`, at `now`; the retry delay's
    /// jitter is drawn from `generator`.
    public func decide<G: RandomNumberGenerator>(
        _ answer: ProviderAnswer, mode: ImportMode, history: AttemptHistory, now: Timestamp,
        using generator: inout G
    ) -> Verdict {
        let decision = FailureClassifier.classify(answer, fatalCodes: fatalCodes)
        func verdict(_ settlement: Settlement, _ actions: [AccountAction] = []) -> Verdict {
            Verdict(decision: decision, settlement: settlement, actions: actions)
        }
        switch answer {
        case .created(let login, let key):
            return verdict(
                .settle(.created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: login, apiKey: key))
        case .reconciled(let login, let key):
            return verdict(
                .settle(
                    .created, errorCode: nil, errorMessage: nil, note: Settlement.reconciledNote, apiLogin: login,
                    apiKey: key))
        case .updated(let login):
            return verdict(.settle(.updated, errorCode: nil, errorMessage: nil, note: nil, apiLogin: login))
        case .unreadableSuccess(let status, let message):
            return verdict(
                .settle(.uncertain, errorCode: "\(status)", errorMessage: message, note: Settlement.unreadableNote))
        case .error, .transport:
            break
        }
        let code = decision.errorCode ?? decision.httpStatus.map { "\($0)" }
        switch decision.failureClass {
        case .rejected, .created, .unreadable:  // (successes are answered above)
            return verdict(.settle(.failed, errorCode: decision.errorCode, errorMessage: decision.message, note: nil))
        case .fatal:
            return verdict(.release, [.stop(reason: Self.reason(decision))])
        case .notSent, .ambiguous:
            let ambiguous = decision.failureClass == .ambiguous && !mode.repeatsSafely
            let mayExist = !mode.repeatsSafely && (ambiguous || history.ambiguous)
            let note = ambiguous ? Settlement.possibleDuplicateNote(decision.message) : nil
            var retryAfter = decision.retryAfter
            var actions: [AccountAction] = decision.throttled ? [.throttle(retryAfter: retryAfter)] : []
            if let wait = retryAfter, wait > retry.retryAfterCeiling {
                let reason = Self.unavailableReason(decision, wait: wait, ceiling: retry.retryAfterCeiling)
                actions = [.stop(reason: reason)]
                if !ambiguous { return verdict(.release, actions) }
                retryAfter = nil
            }
            let failures = history.failures + 1
            if ambiguous && !retry.retryAmbiguous || retry.isExhausted(failures: failures) {
                return verdict(
                    .settle(
                        mayExist ? .uncertain : .failed, errorCode: code, errorMessage: decision.message, note: note),
                    actions)
            }
            let delay = retry.delay(afterFailure: failures, retryAfter: retryAfter, using: &generator)
            return verdict(
                .retry(
                    at: now + delay, errorCode: code, errorMessage: decision.message, note: note, countsAsFailure: true,
                    ambiguous: ambiguous), actions)
        }
    }

    /// `decide` with the system random generator.
    public func decide(_ answer: ProviderAnswer, mode: ImportMode, history: AttemptHistory, now: Timestamp) -> Verdict {
        var generator = SystemRandomNumberGenerator()
        return decide(answer, mode: mode, history: history, now: now, using: &generator)
    }

    /// Why a fatal answer stopped the account: its status, code and message.
    static func reason(_ decision: AnswerDecision) -> String {
        "\(decision.httpStatus.map { "HTTP \($0)" } ?? "") \(decision.errorCode.map { "code \($0): " } ?? "")\(decision.message)"
            .trimmingCharacters(in: .whitespaces)
    }

    /// Why a `Retry-After` beyond the ceiling stopped the account.
    static func unavailableReason(_ decision: AnswerDecision, wait: Double, ceiling: Double) -> String {
        "\(reason(decision)); the provider asked to wait \(String(format: "%.0f", wait)) s (Retry-After), "
            + "beyond the ceiling of \(String(format: "%.0f", ceiling)) s: treated as unavailable"
    }
}

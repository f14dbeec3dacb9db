/// The failure classes of PRODUCT.md: what an answer says about the account it was sent for.
/// `SettlementPolicy` turns a class into the row's next state.
///
/// | class        | answers                                                                 |
/// |--------------|-------------------------------------------------------------------------|
/// | `created`    | 2xx with a readable body; an "already exists" reconciled after an ambiguous attempt |
/// | `unreadable` | 2xx to a create whose body cannot be read (not JSON, no key, a key that is not text) |
/// | `rejected`   | 400, 404, 409, 422 and other 4xx; provider validation codes (also with HTTP 200) |
/// | `fatal`      | 401, 403, bad credentials, quota reached, master balance                 |
/// | `notSent`    | connection refused, DNS/TLS failure, 429, 503                            |
/// | `ambiguous`  | timeout or reset after sending, 408, 500, 502, 504, other 5xx, crash in flight |
public enum FailureClass: String, Sendable, Codable, CaseIterable {
    case created, unreadable, rejected, fatal, notSent, ambiguous
}

/// The decision for one answer: its class, and the facts that shape what happens next.
public struct AnswerDecision: Sendable, Equatable {
    public var failureClass: FailureClass
    public var httpStatus: Int?
    public var errorCode: String?
    public var message: String
    /// Seconds the provider asked us to wait (`Retry-After`): always finite and non-negative
    /// (an insane value is dropped here), but not yet checked against any ceiling.
    public var retryAfter: Double?
    /// The provider is pushing back (429): the shared limiter should slow down.
    public var throttled: Bool
}

/// The one place where answers become failure classes.
public enum FailureClassifier {
    /// Classifies `answer`. Provider error codes in `fatalCodes` (from the provider's definition)
    /// stop the whole account; everything else follows the HTTP status.
    public static func classify(_ answer: ProviderAnswer, fatalCodes: Set<String>) -> AnswerDecision {
        switch answer {
        case .created, .reconciled, .updated:
            return AnswerDecision(
                failureClass: .created, httpStatus: nil, errorCode: nil, message: "", retryAfter: nil, throttled: false)
        case .unreadableSuccess(let status, let message):
            return AnswerDecision(
                failureClass: .unreadable, httpStatus: status, errorCode: nil, message: message, retryAfter: nil,
                throttled: false)
        case .transport(let requestSent, let message):
            return AnswerDecision(
                failureClass: requestSent ? .ambiguous : .notSent, httpStatus: nil, errorCode: nil, message: message,
                retryAfter: nil, throttled: false)
        case .error(let status, let code, let message, let retryAfter):
            var decision = AnswerDecision(
                failureClass: .rejected, httpStatus: status, errorCode: code, message: message,
                retryAfter: RetryAfter.sane(retryAfter), throttled: false)
            if let code, fatalCodes.contains(code) {
                decision.failureClass = .fatal
                return decision
            }
            switch status {
            case 401, 403: decision.failureClass = .fatal
            case 429:
                decision.failureClass = .notSent
                decision.throttled = true
            case 503: decision.failureClass = .notSent
            case 500...599: decision.failureClass = .ambiguous
            case 408: decision.failureClass = .ambiguous
            default: decision.failureClass = .rejected
            }
            return decision
        }
    }
}

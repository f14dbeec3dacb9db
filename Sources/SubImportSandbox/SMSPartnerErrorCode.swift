/// The error codes the sandbox answers on the SMSPartner routes, in a body
/// `{"success": false, "code": N, "message": "..."}`, with the HTTP status given by
/// ``httpStatus`` (the sandbox uses real 4xx/5xx statuses so that a client may classify by
/// status or by code; successes are HTTP 200 with `"code": 200`).
///
/// | code | HTTP | when |
/// |---|---|---|
/// | 1 | 401 | `apiKey` missing or empty |
/// | 2 | 400 | (documented by SMSPartner, never produced by the sandbox) phone number required |
/// | 3 | 400 | `advanced` without a 0/1 `isBuyer` |
/// | 4 | 400 | `type` missing or empty |
/// | 5 | 400 | `type` is neither `simple` nor `advanced` |
/// | 6 | 400 | `advanced` without `email`, or an `email` that is not well-formed |
/// | 7 | 400 | an account with this email already exists (any master, case-insensitive) |
/// | 8 | 400 | `creditToAttribute` given but not a number > 0 |
/// | 9 | 400 | (documented by SMSPartner, never produced by the sandbox) master balance is 0 |
/// | 10 | 401 | `apiKey` is not the configured one |
/// | 11 | 403 | the master has reached its sub-account quota (sandbox-specific code) |
/// | 12 | 400 | remove without `token` (sandbox-specific code) |
/// | 13 | 404 | remove of a token that is not one of this master's sub-accounts (sandbox-specific) |
/// | 404 | 404 | no such route |
/// | 429 | 429 | injected throttling (`Retry-After` header set) |
/// | 502 | 502 | injected ambiguous failure (the account WAS created) |
/// | 503 | 503 | injected failure (nothing was created) |
public enum SMSPartnerErrorCode: Int, Sendable, CaseIterable {
    case apiKeyRequired = 1
    case phoneNumberRequired = 2
    case isBuyerRequired = 3
    case typeRequired = 4
    case typeUnknown = 5
    case emailRequired = 6
    case emailAlreadyExists = 7
    case creditMustBePositive = 8
    case masterBalanceEmpty = 9
    case invalidAPIKey = 10
    case subAccountLimitReached = 11
    case tokenRequired = 12
    case subAccountNotFound = 13
    case routeNotFound = 404
    case tooManyRequests = 429
    case badGateway = 502
    case serviceUnavailable = 503

    /// The HTTP status that goes with the code.
    public var httpStatus: Int {
        switch self {
        case .apiKeyRequired, .invalidAPIKey: return 401
        case .subAccountLimitReached: return 403
        case .subAccountNotFound, .routeNotFound: return 404
        case .tooManyRequests: return 429
        case .badGateway: return 502
        case .serviceUnavailable: return 503
        case .phoneNumberRequired, .isBuyerRequired, .typeRequired, .typeUnknown, .emailRequired,
            .emailAlreadyExists, .creditMustBePositive, .masterBalanceEmpty, .tokenRequired:
            return 400
        }
    }

    /// The message sent with the code.
    public var message: String {
        switch self {
        case .apiKeyRequired: return "API key is required"
        case .phoneNumberRequired: return "Phone number is required"
        case .isBuyerRequired: return "isBuyer is required"
        case .typeRequired: return "type is required (simple or advanced)"
        case .typeUnknown: return "Sub-account type does not exist (must be simple or advanced)"
        case .emailRequired: return "Email is required"
        case .emailAlreadyExists: return "An account with this email already exists"
        case .creditMustBePositive: return "creditToAttribute must be greater than 0"
        case .masterBalanceEmpty: return "Master account balance must be greater than 0"
        case .invalidAPIKey: return "Invalid API key"
        case .subAccountLimitReached: return "Sub-account limit reached"
        case .tokenRequired: return "token is required"
        case .subAccountNotFound: return "Sub-account not found"
        case .routeNotFound: return "Not found"
        case .tooManyRequests: return "Too many requests"
        case .badGateway: return "Bad gateway"
        case .serviceUnavailable: return "Service temporarily unavailable"
        }
    }
}

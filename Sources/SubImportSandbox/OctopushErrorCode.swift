/// The error codes the sandbox answers on the Octopush routes, in a body
/// `{"code": N, "message": "..."}`, with the HTTP status given by ``httpStatus``.
///
/// | code | HTTP | when |
/// |---|---|---|
/// | 100 | 400 | a required parameter (`first_name`, `last_name`, `password`) is missing or null |
/// | 101 | 401 | `api-login`/`api-key` (or Basic auth) missing, empty, or not the configured ones |
/// | 102 | 400 | `first_name` not 3–30 characters |
/// | 103 | 400 | `last_name` not 3–30 characters |
/// | 104 | 400 | `password` shorter than 6 characters |
/// | 105 | 400 | `company_name` longer than 100 characters |
/// | 106 | 400 | a `callbacks.callback_url_*` is not an absolute http(s) URL |
/// | 107 | 400 | `callbacks.email_for_inbounds` is not a well-formed email |
/// | 108 | 400 | the body is not a JSON object (or `callbacks` is not an object) |
/// | 130 | 404 | no sub-account with that login for this master |
/// | 150 | 403 | the master has reached its sub-account quota |
/// | 404 | 404 | no such route |
/// | 429 | 429 | injected throttling (`Retry-After` header set) |
/// | 502 | 502 | injected ambiguous failure (the change WAS made) |
/// | 503 | 503 | injected failure (nothing was changed) |
///
/// Lengths are counted in characters (grapheme clusters), values are not trimmed.
public enum OctopushErrorCode: Int, Sendable, CaseIterable {
    case missingParameter = 100
    case incorrectLoginDetails = 101
    case firstNameLength = 102
    case lastNameLength = 103
    case passwordTooShort = 104
    case companyNameTooLong = 105
    case invalidCallbackURL = 106
    case invalidEmail = 107
    case malformedBody = 108
    case subAccountNotFound = 130
    case subAccountLimitReached = 150
    case routeNotFound = 404
    case tooManyRequests = 429
    case badGateway = 502
    case serviceUnavailable = 503

    /// The HTTP status that goes with the code.
    public var httpStatus: Int {
        switch self {
        case .incorrectLoginDetails: return 401
        case .subAccountNotFound, .routeNotFound: return 404
        case .subAccountLimitReached: return 403
        case .tooManyRequests: return 429
        case .badGateway: return 502
        case .serviceUnavailable: return 503
        case .missingParameter, .firstNameLength, .lastNameLength, .passwordTooShort,
            .companyNameTooLong, .invalidCallbackURL, .invalidEmail, .malformedBody:
            return 400
        }
    }

    /// The message sent with the code (some answers add the offending field or the limit).
    public var message: String {
        switch self {
        case .missingParameter: return "Missing parameter"
        case .incorrectLoginDetails: return "Incorrect login details"
        case .firstNameLength: return "first_name must be between 3 and 30 characters"
        case .lastNameLength: return "last_name must be between 3 and 30 characters"
        case .passwordTooShort: return "password must be at least 6 characters"
        case .companyNameTooLong: return "company_name must be at most 100 characters"
        case .invalidCallbackURL: return "Invalid callback URL"
        case .invalidEmail: return "Invalid email address"
        case .malformedBody: return "The request body must be a JSON object"
        case .subAccountNotFound: return "Sub-account not found"
        case .subAccountLimitReached: return "Sub-account limit reached"
        case .routeNotFound: return "Not found"
        case .tooManyRequests: return "Too many requests"
        case .badGateway: return "Bad gateway"
        case .serviceUnavailable: return "Service temporarily unavailable"
        }
    }
}

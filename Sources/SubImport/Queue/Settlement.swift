/// What happens to a claimed job after an attempt. Applied with the attempt's record in one transaction.
public enum Settlement: Sendable, Equatable {
    /// The job reaches a settled state (`created`, `updated`, `failed`, `uncertain`). Its secret is erased.
    case settle(
        JobState, errorCode: String?, errorMessage: String?, note: String?, apiLogin: String? = nil,
        apiKey: String? = nil)
    /// The job runs again at `at`. `ambiguous` marks that the provider may have acted on this attempt.
    case retry(
        at: Timestamp, errorCode: String?, errorMessage: String?, note: String?, countsAsFailure: Bool, ambiguous: Bool)
    /// The job goes back to the queue untouched by this attempt (a fatal stop of its account,
    /// or a shutdown before it was sent).
    case release

    /// The note of a row whose earlier attempt may have created the account.
    public static func possibleDuplicateNote(_ reason: String) -> String {
        "possible duplicate: \(reason)"
    }

    /// The note of a row found to exist after an ambiguous attempt (`ProviderAnswer.reconciled`).
    public static let reconciledNote = "reconciled after an ambiguous attempt"

    /// The note of a row the provider answered 2xx without a readable key: the account exists.
    public static let unreadableNote = "created, but the answer could not be read: the API key is unknown"

}

/// One HTTP attempt, as stored in the `attempt` table.
public struct AttemptRecord: Sendable {
    public var startedAt: Timestamp
    public var finishedAt: Timestamp
    public var failureClass: FailureClass
    public var httpStatus: Int?
    public var errorCode: String?
    public var message: String?
    public var worker: String

    public init(
        startedAt: Timestamp, finishedAt: Timestamp, failureClass: FailureClass, httpStatus: Int?, errorCode: String?,
        message: String?, worker: String
    ) {
        (self.startedAt, self.finishedAt, self.failureClass, self.httpStatus) =
            (startedAt, finishedAt, failureClass, httpStatus)
        (self.errorCode, self.message, self.worker) = (errorCode, message, worker)
    }
}

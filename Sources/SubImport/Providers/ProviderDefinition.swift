import Dispatch

/// Whether rows create new sub-accounts or update existing ones.
public enum ImportMode: String, Sendable, CaseIterable {
    case create, update

    /// Sending the same row twice leaves the provider as sending it once (an update), so an
    /// ambiguous answer is simply retried: it cannot make a duplicate account.
    public var repeatsSafely: Bool { self == .update }
}

/// Everything the engine needs to know about one provider. Adding a provider means one new
/// file with a type conforming to this protocol (and its `ProviderClient`), plus its line in
/// `ProviderRegistry.all`: columns, validation, credentials, fatal codes and the HTTP exchange
/// all live behind this protocol, and nothing else in the engine or the CLI names a provider.
public protocol ProviderDefinition: Sendable {
    /// The name used by `--provider` and stored in batches (`octopush`).
    var name: String { get }
    /// Scheme, host and port of the production API; documented paths are appended.
    var defaultBaseURL: String { get }
    /// Provider error codes that stop the whole account (bad credentials, quota, balance).
    var fatalErrorCodes: Set<String> { get }
    /// The modes this provider supports.
    var modes: [ImportMode] { get }
    /// The CSV columns of `mode`, with aliases and which are required. Columns named
    /// `first_name`, `last_name`, `company_name` and `email` fill the report's columns of the
    /// same names.
    func columns(mode: ImportMode) -> ColumnSchema
    /// Why `row` must not be sent, or nil when it may be. Called before anything is sent.
    func validate(_ row: ImportRow, mode: ImportMode) -> RowProblem?
    /// Reads the master credentials from the environment; throws `missingCredentials` naming the variables.
    func credentials(environment: [String: String]) throws -> ProviderCredentials
    /// The non-secret login that names the account, read from the environment, for commands that
    /// send nothing and so need no key (nil when the provider has no such login).
    func accountLogin(environment: [String: String]) -> String?
    /// Credentials for the sandbox emulator.
    var sandboxCredentials: ProviderCredentials { get }
    /// A client that sends rows over `connection`.
    func makeClient(_ connection: ProviderConnection) -> any ProviderClient
}

/// Sends rows to one provider account.
public protocol ProviderClient: Sendable {
    /// Sends one claimed row (in the job's mode) and blocks until the provider answers or the
    /// request times out. Never throws: every failure is an answer. Any request beyond the first
    /// (a lookup) waits on the connection's limiter first.
    func send(_ job: ClaimedJob) -> ProviderAnswer

    /// Sends one claimed row without blocking the caller and calls `completion` once, on `queue`,
    /// with the answer. Never fails: every failure is an answer. Nothing may block `queue` (it
    /// carries the answers of a pool's other workers too): any blocking work (a lookup) runs
    /// elsewhere. The default runs the blocking `send` on a queue of its own, then completes on
    /// `queue`.
    func send(
        _ job: ClaimedJob, completingOn queue: DispatchQueue, _ completion: @escaping @Sendable (ProviderAnswer) -> Void
    )
}

extension ProviderClient {
    public func send(
        _ job: ClaimedJob, completingOn queue: DispatchQueue, _ completion: @escaping @Sendable (ProviderAnswer) -> Void
    ) {
        DispatchQueue(label: "subimport.blocking-send").async {
            let answer = self.send(job)
            queue.async { completion(answer) }
        }
    }

    /// The answer of this client's own non-blocking `send`, waited for on the calling thread
    /// (never an event loop): how a client whose request is written once as non-blocking also
    /// answers the blocking `send`.
    func answerWaitedFor(_ job: ClaimedJob) -> ProviderAnswer {
        let done = DispatchSemaphore(value: 0)
        let received = ReceivedAnswer()
        send(job, completingOn: DispatchQueue(label: "subimport.blocking-send")) { answer in
            received.answer = answer
            done.signal()
        }
        done.wait()
        return received.answer
    }
}

/// The answer a blocking `send` waits for (written once, before the semaphore is signalled).
private final class ReceivedAnswer: @unchecked Sendable {
    var answer = ProviderAnswer.transport(requestSent: false, message: "no answer")
}

/// What a client needs to reach one provider account.
public struct ProviderConnection: Sendable {
    /// Scheme, host and port; the documented paths are appended.
    public var baseURL: String
    public var credentials: ProviderCredentials
    public var transport: HTTPTransport
    /// The account's shared rate limiter (the worker already waited on it for the first request).
    public var limiter: any DepartureLimiter
    /// True once the run this connection belongs to stops: a lookup waiting on the limiter then
    /// gives up (the run wakes the limiter's waiters when it stops).
    public var shouldStop: @Sendable () -> Bool

    public init(
        baseURL: String, credentials: ProviderCredentials, transport: HTTPTransport, limiter: any DepartureLimiter,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.transport = transport
        self.limiter = limiter
        self.shouldStop = shouldStop
    }

    /// `baseURL` followed by `path` (which starts with `/`).
    public func url(_ path: String) -> String { baseURL.trimmingSuffix("/") + path }
}

/// The providers this build knows.
public enum ProviderRegistry {
    public static let all: [any ProviderDefinition] = [OctopushProvider(), SMSPartnerProvider()]

    /// The provider called `name`, or nil.
    public static func named(_ name: String) -> (any ProviderDefinition)? {
        all.first { $0.name == name.lowercased() }
    }
}

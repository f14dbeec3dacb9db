import AsyncHTTPClient

/// Whether rows create new sub-accounts or update existing ones.
public enum ImportMode: String, Sendable, CaseIterable {
    case create, update
}

/// Everything the engine needs to know about one provider. Adding a provider means one new
/// file with a type conforming to this protocol, plus its line in `ProviderRegistry.all`.
public protocol ProviderDefinition: Sendable {
    /// The name used by `--provider` and stored in batches (`octopush`).
    var name: String { get }
    /// Scheme, host and port of the production API; documented paths are appended.
    var defaultBaseURL: String { get }
    /// Provider error codes that stop the whole account (bad credentials, quota, balance).
    var fatalErrorCodes: Set<String> { get }
    /// The modes this provider supports.
    var modes: [ImportMode] { get }
    /// The CSV columns of `mode`, with aliases and which are required.
    func columns(mode: ImportMode) -> ColumnSchema
    /// Why `row` must not be sent, or nil when it may be. Called before anything is sent.
    func validate(_ row: ImportRow, mode: ImportMode) -> RowProblem?
    /// Reads the master credentials from the environment; throws `missingCredentials` naming the variables.
    func credentials(environment: [String: String]) throws -> ProviderCredentials
    /// Credentials for the sandbox emulator.
    var sandboxCredentials: ProviderCredentials { get }
    /// A client that sends rows to `baseURL` with `credentials`.
    func makeClient(baseURL: String, credentials: ProviderCredentials, transport: HTTPTransport) -> any ProviderClient
}

/// Sends rows to one provider account.
public protocol ProviderClient: Sendable {
    /// Sends one claimed row and blocks until the provider answers or the request times out.
    /// Never throws: every failure is an answer.
    func send(_ job: ClaimedJob) -> ProviderAnswer
}

/// The providers this build knows.
public enum ProviderRegistry {
    public static let all: [any ProviderDefinition] = [OctopushProvider()]

    /// The provider called `name`, or nil.
    public static func named(_ name: String) -> (any ProviderDefinition)? {
        all.first { $0.name == name.lowercased() }
    }
}

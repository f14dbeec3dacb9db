/// Errors the engine reports to the operator. Every message says what and where, and never
/// contains a password, an API key or a master credential.
public enum SubImportError: Error, CustomStringConvertible, Sendable {
    /// A file that cannot be read as CSV at all (missing, unreadable, binary, no header, missing columns).
    case unreadableFile(path: String, reason: String)
    /// Required credentials are not in the environment.
    case missingCredentials(String)
    /// A batch id that is not in the queue.
    case unknownBatch(String)
    /// File-system failure.
    case io(String)
    /// A column default that names no column of the provider.
    case invalidDefault(String)
    /// Another process holds the state folder's lock (`StateLock`); `holder` says who.
    case stateInUse(state: String, holder: String)
    /// The state folder or one of its files could be read or replaced by someone else (another
    /// owner, group- or world-writable, a link); `FilePermissions` says which and why.
    case unsafeState(String)
    /// A `--queue` location that cannot be used (malformed, a password in it, the server refused).
    case queueLocation(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "\(path): \(reason)"
        case .missingCredentials(let message): return message
        case .unknownBatch(let id): return "no batch \(id) in the queue (see `subimport status`)"
        case .io(let message): return message
        case .invalidDefault(let message): return message
        case .stateInUse(let state, let holder):
            return "state folder \(state) is in use by \(holder); stop it or use another --state"
        case .unsafeState(let message): return "refusing an unsafe state folder: \(message)"
        case .queueLocation(let message): return message
        }
    }
}

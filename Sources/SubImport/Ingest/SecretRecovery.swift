import Foundation

/// Reads passwords back from a batch's source file, for rows whose password was erased when
/// they settled and that an operator wants to send again (`retry`).
public struct SecretRecovery: Sendable {
    public let provider: any ProviderDefinition
    public let mode: ImportMode

    public init(provider: any ProviderDefinition, mode: ImportMode) {
        self.provider = provider
        self.mode = mode
    }

    /// Whether the batch's rows carry a password at all (otherwise `retry` needs no source file).
    public var hasSecrets: Bool { provider.columns(mode: mode).columns.contains { $0.isSecret } }

    /// Whether a row cannot be sent without its password (create mode of Octopush).
    public var secretRequired: Bool { provider.columns(mode: mode).columns.contains { $0.isSecret && $0.required } }

    /// The passwords of `rows` read from `path`, which must hold exactly the content the batch
    /// was made from (same SHA-256); throws `unreadableFile` saying so otherwise.
    public func secrets(of rows: Set<Int>, batch: Batch, path: String) throws -> [Int: String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SubImportError.unreadableFile(
                path: path, reason: "the source file of batch \(batch.id) is gone; pass a copy of it with --file")
        }
        guard try Digest.sha256Hex(ofFile: path) == batch.sha256 else {
            throw SubImportError.unreadableFile(
                path: path,
                reason:
                    "this is not the content batch \(batch.id) was made from (its SHA-256 differs); pass the original with --file"
            )
        }
        let reader = try DataRowReader(path: path, schema: provider.columns(mode: mode))
        var found: [Int: String] = [:]
        while found.count < rows.count, let data = try reader.next() {
            guard rows.contains(data.row), case .success(let row) = data.content, let secret = row.secret else {
                continue
            }
            found[data.row] = secret
        }
        return found
    }
}

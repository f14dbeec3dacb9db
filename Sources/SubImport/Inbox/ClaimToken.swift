import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The name of a claim folder in a shared inbox's `.processing`: who claimed the file first and
/// who holds it now, each named like a `WorkerIdentity` (`pid:<pid>:<time>-<random>@<host>`).
/// A fresh claim is named `<original>`; an adopted one `<original>~<holder>`.
///
/// `original` is unique to the claim (time in milliseconds and a random part) and kept by every
/// adoption, so the file's path before and after an adoption is known to be the same claim; it
/// is also the owner the file's ingest runs as, so that an adopter on any host may take over an
/// ingest its predecessor left half done.
struct ClaimToken: Sendable, Equatable {
    /// The first claimant, unique to this claim.
    let original: String
    /// The process holding the claim now.
    let holder: String

    /// A new claim held by this process.
    static func fresh() -> ClaimToken {
        let owner = newOwner()
        return ClaimToken(original: owner, holder: owner)
    }

    private init(original: String, holder: String) {
        (self.original, self.holder) = (original, holder)
    }

    /// Parses a claim folder's name; nil for a name no watch gave.
    init?(folderName: String) {
        let parts = folderName.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isOwner) else { return nil }
        (original, holder) = (parts[0], parts[parts.count - 1])
    }

    /// The same claim, held by this process.
    func adopted() -> ClaimToken { ClaimToken(original: original, holder: Self.newOwner()) }

    var folderName: String { original == holder ? original : original + "~" + holder }

    /// The owner the claimed file's ingest runs as (see the type).
    var ingestOwner: WorkerIdentity { WorkerIdentity(named: original) }

    /// Whether the holder is certainly gone: a process of this host that no longer runs.
    var holderIsGone: Bool { WorkerIdentity.isDead(owner: holder) }

    private static func isOwner(_ text: String) -> Bool {
        text.hasPrefix("pid:") && text.contains("@") && !text.contains("/")
    }

    private static func newOwner() -> String {
        let time = Int64(Date().timeIntervalSince1970 * 1000)
        return "pid:\(getpid()):\(time)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))@\(host)"
    }

    /// This host's name as a claim names it: a `/` or `~` (no valid host name has one) becomes `_`,
    /// which makes the claim look like another host's (adopted only once silent), never the reverse.
    private static let host = String(WorkerIdentity.host.map { $0 == "/" || $0 == "~" ? "_" : $0 })
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Shared claims (`ClaimSharing.inbox`): finding the claims whose holder is gone, adopting one
/// by a single `rename(2)` of its folder, keeping a held claim alive, and knowing a claimed file
/// across adoptions.
extension InboxFolders {
    /// Names of the claim folders in the shared `processing` whose holder is gone: a process of
    /// this host that no longer runs, or (any host) a claim whose folder was not touched for more
    /// than `staleAfter` seconds. Empty when claims are not shared.
    func adoptableClaims(staleAfter: Double, now: Date = Date()) -> [String] {
        guard case .inbox = claims else { return [] }
        return Self.names(in: processing).filter { name in
            guard let token = ClaimToken(folderName: name) else { return false }
            if token.holderIsGone { return true }
            guard let touched = Self.modified((processing as NSString).appendingPathComponent(name)) else {
                return false
            }
            return now.timeIntervalSince1970 - touched > staleAfter
        }
    }

    /// Adopts claim folder `name` for this process: touches it, then renames it to the same
    /// claim held by this process in one `rename(2)`, so that of two watches adopting it at once
    /// exactly one succeeds, and the adopted claim is never seen silent under its new name.
    /// Returns the paths of the files it holds (an empty claim, left by a holder stopped
    /// mid-claim or mid-move, is removed), or nil when it is gone (another watch adopted it
    /// first, or its holder finished it).
    func adopt(_ name: String) -> [String]? {
        guard let token = ClaimToken(folderName: name) else { return nil }
        let old = (processing as NSString).appendingPathComponent(name)
        let new = (processing as NSString).appendingPathComponent(token.adopted().folderName)
        guard Self.touchClaimFolder(old), rename(old, new) == 0 else { return nil }
        let files = Self.files(inClaim: new)
        if files.isEmpty { rmdir(new) }
        return files
    }

    /// Whether a batch read from `recorded` was read from the claimed file now at `path`: the
    /// same path, or (shared claims) the same file of the same claim before an adoption renamed
    /// its folder. A claim is never made twice, so a match is this very file, never a repeat.
    func isSameClaim(_ recorded: String, as path: String) -> Bool {
        if recorded == path { return true }
        guard let before = sharedClaim(of: recorded), let now = sharedClaim(of: path) else { return false }
        return before.original == now.original
            && (recorded as NSString).lastPathComponent == (path as NSString).lastPathComponent
    }

    /// Who ingests the claimed file at `path`: its claim's first claimant for a shared claim
    /// (any adopter takes over an ingest left half done), else a new identity of this process.
    func ingestOwner(ofClaimed path: String) -> WorkerIdentity {
        sharedClaim(of: path)?.ingestOwner ?? WorkerIdentity()
    }

    /// Marks the claim holding the file at `path` alive (its folder's modification time becomes
    /// now). False when the folder is gone: another watch adopted the claim.
    static func touchClaim(of path: String) -> Bool {
        touchClaimFolder((path as NSString).deletingLastPathComponent)
    }

    /// The shared claim whose folder holds `path`, if it is one.
    private func sharedClaim(of path: String) -> ClaimToken? {
        guard case .inbox = claims else { return nil }
        let folder = (path as NSString).deletingLastPathComponent
        guard (folder as NSString).deletingLastPathComponent == processing else { return nil }
        return ClaimToken(folderName: (folder as NSString).lastPathComponent)
    }

    private static func touchClaimFolder(_ folder: String) -> Bool {
        utimensat(AT_FDCWD, folder, nil, 0) == 0
    }

    /// The modification time of `path` (seconds since 1970), nil when it is gone.
    private static func modified(_ path: String) -> Double? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }
}

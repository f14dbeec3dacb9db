import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The inbox and the folders a file goes through: `processing` (claimed, its rows being
/// queued), then `<state>/archive` (queued) or `<state>/rejected` (not CSV at all, or content
/// imported before, not a regular file; with `<name>.reason.txt`). `processing` is
/// `<state>/processing`, or `<inbox>/.processing` when claims are shared (`ClaimSharing`).
/// Folders are created 0700; an existing one keeps its mode.
///
/// Every move is one `rename(2)` on one file system, so a file is always in exactly one place,
/// whatever moment the process is killed at.
public struct InboxFolders: Sendable {
    public let inbox: String
    /// Where this watch's claims go.
    public let processing: String
    public let archive: String
    public let rejected: String
    public let claims: ClaimSharing
    /// `<state>/processing`: claims this state folder's runs made without sharing them.
    let stateProcessing: String
    /// Emptied claim folders of `<state>/processing`, reused by the next claims.
    private let spares: SpareClaimFolders

    /// The folders for `inbox` and `stateDirectory`, created 0700 if missing (an existing folder
    /// keeps its mode). Throws when the
    /// inbox and the state folder are on different file systems (a rename could not move a file
    /// atomically) or a folder cannot be created.
    public init(inbox: String, stateDirectory: String, claims: ClaimSharing = .stateFolder) throws {
        // Absolute paths: a batch records the path it was read from, and `InboxService` compares it.
        self.inbox = inbox.absolutePath
        self.claims = claims
        let state = stateDirectory.absolutePath
        stateProcessing = (state as NSString).appendingPathComponent("processing")
        spares = SpareClaimFolders(in: stateProcessing)
        switch claims {
        case .stateFolder: processing = stateProcessing
        case .inbox: processing = (self.inbox as NSString).appendingPathComponent(Self.sharedClaimFolder)
        }
        archive = (state as NSString).appendingPathComponent("archive")
        rejected = (state as NSString).appendingPathComponent("rejected")
        // An existing inbox keeps its mode (it may be a drop folder shared with other users).
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: self.inbox, isDirectory: &isFolder) {
            try FilePermissions.makePrivateDirectory(self.inbox)
        } else if !isFolder.boolValue {
            throw SubImportError.io("the inbox \(inbox) is not a folder")
        }
        for folder in Set([stateProcessing, processing, archive, rejected]) {
            try FilePermissions.makePrivateDirectory(folder)
        }
        var inboxInfo = stat()
        var stateInfo = stat()
        if stat(self.inbox, &inboxInfo) == 0, stat(archive, &stateInfo) == 0, inboxInfo.st_dev != stateInfo.st_dev {
            throw SubImportError.io(
                "the inbox \(inbox) and the state folder \(stateDirectory) are on different file systems; files are claimed by an atomic rename, so put them on the same one"
            )
        }
    }

    /// The hidden folder of the inbox that holds shared claims (`InboxFileFilter` skips it).
    static let sharedClaimFolder = ".processing"

    /// Names of the inbox files to take (`InboxFileFilter`), sorted.
    public func inboxCandidates() -> [String] {
        Self.names(in: inbox).filter(InboxFileFilter.accepts)
    }

    /// Files left in `<state>/processing` by an earlier run of this state folder (claimed, not
    /// yet archived or rejected), oldest claim first. Empty claim folders (a run stopped
    /// mid-claim or mid-move) are removed. Shared claims are found by `adoptableClaims`.
    public func leftInProcessing() -> [String] {
        spares.removeLeftOver()
        var files: [String] = []
        for claim in Self.names(in: stateProcessing) where !claim.hasPrefix(".") {
            let folder = (stateProcessing as NSString).appendingPathComponent(claim)
            let inside = Self.files(inClaim: folder)
            if inside.isEmpty {
                rmdir(folder)
            } else {
                files += inside
            }
        }
        return files
    }

    /// Removes the emptied claim folders kept for reuse (`SpareClaimFolders`): call once no claim
    /// is made any more.
    public func removeSpareClaimFolders() {
        spares.removeLeftOver()
    }

    /// The paths of the files in claim folder `folder`.
    static func files(inClaim folder: String) -> [String] {
        names(in: folder).filter { !$0.hasPrefix(".") }.map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Claims inbox file `name` by renaming it into a claim folder of its own under `processing`
    /// (`processing/<claim>/<name>`: the file keeps its name, and its path is never used twice,
    /// so a batch created from that path is known to be this file's). A shared claim's folder
    /// is named by a `ClaimToken` held by this process. Returns the new path, or nil when the
    /// file is gone (removed meanwhile).
    public func claim(_ name: String) throws -> String? {
        let source = (inbox as NSString).appendingPathComponent(name)
        let token: String
        switch claims {
        case .stateFolder: token = Self.claimToken()
        case .inbox: token = ClaimToken.fresh().folderName
        }
        let folder = (processing as NSString).appendingPathComponent(token)
        let made = claims == .stateFolder ? spares.make(folder) : mkdir(folder, 0o700) == 0
        guard made else {
            throw SubImportError.io("cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        let target = (folder as NSString).appendingPathComponent(name)
        guard rename(source, target) == 0 else {
            let code = errno
            rmdir(folder)
            if code == ENOENT { return nil }
            throw SubImportError.io("cannot move \(source) to \(target): \(String(cString: strerror(code)))")
        }
        return target
    }

    /// Moves a processed file to `archive`; a name already there gets the batch id
    /// (`stem.<batch-id>.csv`). Returns the new path.
    @discardableResult
    public func archive(_ path: String, batchID: String) throws -> String {
        try move(path, to: Self.freeName((path as NSString).lastPathComponent, in: archive, suffix: batchID))
    }

    /// Moves a file to `rejected` with `<name>.reason.txt` beside it (written first, atomically,
    /// mode 0600, one line with its control characters escaped). A link, FIFO or other special
    /// file is moved as itself (`rename`), never its target. Returns the new path of the file.
    @discardableResult
    public func reject(_ path: String, reason: String) throws -> String {
        let target = Self.freeName(
            (path as NSString).lastPathComponent, in: rejected, suffix: Self.timeSuffix(),
            reserving: Self.reasonSuffix.utf8.count)
        let note = try AtomicFileWriter(path: target + Self.reasonSuffix)
        let line = reason.hasSuffix("\n") ? String(reason.dropLast()) : reason
        try note.write(ControlCharacters.escaped(line) + "\n")
        try note.commit()
        return try move(path, to: target)
    }

    /// Moves a claimed file out of `processing` and removes its claim folder.
    private func move(_ path: String, to target: String) throws -> String {
        guard rename(path, target) == 0 else {
            throw SubImportError.io("cannot move \(path) to \(target): \(String(cString: strerror(errno)))")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let parent = (folder as NSString).deletingLastPathComponent
        if parent == stateProcessing {
            spares.recycle(folder)
        } else if parent == processing {
            rmdir(folder)
        }
        return target
    }

    /// The name of the note beside a rejected file: `<name>.reason.txt`.
    static let reasonSuffix = ".reason.txt"

    /// `folder/name` when free (no entry at all, not even a dangling link) and short enough to
    /// take `reserving` more bytes within the file system's name limit; else
    /// `folder/stem.<suffix>.ext` (then with a counter), the stem shortened when needed.
    static func freeName(_ name: String, in folder: String, suffix: String, reserving: Int = 0) -> String {
        let limit = FileNameLimit.maximum(in: folder)
        let plain = (folder as NSString).appendingPathComponent(name)
        if name.utf8.count + reserving <= limit, !exists(plain) { return plain }
        let stem = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        var counter = 1
        while true {
            let numbered = counter == 1 ? suffix : "\(suffix)-\(counter)"
            let tail = ext.isEmpty ? ".\(numbered)" : ".\(numbered).\(ext)"
            let candidate = (folder as NSString).appendingPathComponent(
                FileNameLimit.fit(stem, tail, limit: limit, reserve: reserving))
            if !exists(candidate) { return candidate }
            counter += 1
        }
    }

    /// Whether anything is at `path`, a link counted as itself.
    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// A claim folder name never used before: the time in milliseconds, the pid and a random part.
    private static func claimToken() -> String {
        "\(timeSuffix())-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    private static func timeSuffix() -> String {
        String(Int64(Date().timeIntervalSince1970 * 1000))
    }

    static func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}

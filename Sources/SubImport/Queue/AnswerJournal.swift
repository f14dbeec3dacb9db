import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An answer as the journal keeps it: everything `QueueStore.settle` needs to record it later.
struct JournaledAnswer: Codable, Sendable {
    var jobID: Int64
    var leaseOwner: String
    /// The job's `attempts` when it was claimed for this request: the answer applies to that claim only.
    var claimedAttempts: Int
    var settlement: JournaledSettlement
    var attempt: JournaledAttempt?
}

/// `Settlement` in a codable form.
struct JournaledSettlement: Codable, Sendable {
    enum Kind: String, Codable { case settle, retry, release }
    var kind: Kind
    var state: JobState?
    var errorCode: String?
    var errorMessage: String?
    var note: String?
    var apiLogin: String?
    var apiKey: String?
    var at: Timestamp?
    var countsAsFailure: Bool?
    var ambiguous: Bool?

    init(_ settlement: Settlement) {
        switch settlement {
        case .settle(let state, let code, let message, let note, let apiLogin, let apiKey):
            kind = .settle
            (self.state, errorCode, errorMessage, self.note, self.apiLogin, self.apiKey) =
                (state, code, message, note, apiLogin, apiKey)
        case .retry(let at, let code, let message, let note, let countsAsFailure, let ambiguous):
            kind = .retry
            (self.at, errorCode, errorMessage, self.note, self.countsAsFailure, self.ambiguous) =
                (at, code, message, note, countsAsFailure, ambiguous)
        case .release:
            kind = .release
        }
    }

    /// The settlement, or nil when the entry is incomplete.
    var settlement: Settlement? {
        switch kind {
        case .settle:
            guard let state else { return nil }
            return .settle(
                state, errorCode: errorCode, errorMessage: errorMessage, note: note, apiLogin: apiLogin,
                apiKey: apiKey)
        case .retry:
            guard let at else { return nil }
            return .retry(
                at: at, errorCode: errorCode, errorMessage: errorMessage, note: note,
                countsAsFailure: countsAsFailure ?? true, ambiguous: ambiguous ?? false)
        case .release:
            return .release
        }
    }
}

/// `AttemptRecord` in a codable form.
struct JournaledAttempt: Codable, Sendable {
    var startedAt: Timestamp
    var finishedAt: Timestamp
    var failureClass: FailureClass
    var httpStatus: Int?
    var errorCode: String?
    var message: String?
    var worker: String

    init(_ record: AttemptRecord) {
        (startedAt, finishedAt, failureClass, httpStatus, errorCode, message, worker) =
            (
                record.startedAt, record.finishedAt, record.failureClass, record.httpStatus, record.errorCode,
                record.message, record.worker
            )
    }

    var record: AttemptRecord {
        AttemptRecord(
            startedAt: startedAt, finishedAt: finishedAt, failureClass: failureClass, httpStatus: httpStatus,
            errorCode: errorCode, message: message, worker: worker)
    }
}

/// `<state>/answers.journal`: an append-only file of provider answers not yet durably in the
/// queue database, one JSON object a line. Mode 0600, never opened through a symbolic link;
/// every append is on disk (`fdatasync`) before `append` returns. It holds API keys, so it is
/// emptied as soon as the answers it holds are durably applied (`replace`). Not thread-safe:
/// `AnswerRecorder` serializes its use.
final class AnswerJournal {
    static let fileName = "answers.journal"
    let path: String
    private let directory: String
    private var descriptor: Int32

    /// Opens (creating if needed) the journal of `directory` for appending.
    init(directory: String) throws {
        self.directory = directory
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        descriptor = try Self.openForAppend(path)
        Self.reserveSpace(descriptor)
        Self.syncDirectory(directory)
    }

    /// Disk blocks kept allocated past the journal's end, so that answers can still be appended
    /// when the file system fills up (the queue database then cannot grow, and the journal is
    /// the only place left for them): room for about a thousand answers.
    static let reservedBytes = 512 * 1024

    /// Allocates `reservedBytes` after the end of the file without changing its size
    /// (`fallocate` with `FALLOC_FL_KEEP_SIZE`). Best effort: a file system without it, or one
    /// already full, leaves appends to allocate as they go.
    private static func reserveSpace(_ descriptor: Int32) {
        let keepSize: Int32 = 0x01  // FALLOC_FL_KEEP_SIZE, <linux/falloc.h>
        _ = linuxFallocate(descriptor, keepSize, 0, reservedBytes)
    }

    deinit { close(descriptor) }

    /// Writes `lines` (a newline after each) with one write and waits until they are on disk
    /// (one `fdatasync` for them all).
    func append(lines: [[UInt8]]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            bytes += line
            bytes.append(UInt8(ascii: "\n"))
        }
        try Self.writeAll(descriptor, bytes, path: path)
        guard fdatasync(descriptor) == 0 else { throw Self.failure("cannot sync", path) }
    }

    /// Makes the journal hold exactly `lines`, on disk: truncated to zero bytes when `lines` is
    /// empty, otherwise replaced atomically (a new file renamed over it).
    func replace(with lines: [[UInt8]]) throws {
        if lines.isEmpty {
            guard ftruncate(descriptor, 0) == 0, fsync(descriptor) == 0 else {
                throw Self.failure("cannot truncate", path)
            }
            // Truncating freed the reserved blocks: take them again at once.
            Self.reserveSpace(descriptor)
            return
        }
        let temporary = path + ".new"
        _ = unlink(temporary)
        let fresh = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fresh >= 0 else { throw Self.failure("cannot create", temporary) }
        do {
            try Self.writeAll(fresh, lines.flatMap { $0 + [UInt8(ascii: "\n")] }, path: temporary)
            guard fsync(fresh) == 0 else { throw Self.failure("cannot sync", temporary) }
            guard rename(temporary, path) == 0 else { throw Self.failure("cannot rename", temporary) }
        } catch {
            close(fresh)
            _ = unlink(temporary)
            throw error
        }
        Self.syncDirectory(directory)
        close(descriptor)
        descriptor = fresh
        _ = fcntl(descriptor, F_SETFL, O_APPEND)
        Self.reserveSpace(descriptor)
    }

    /// The answers in the journal of `directory`, oldest first (none when there is no journal).
    /// A line cut short by a crash during its append is skipped: its answer was never acknowledged.
    static func entries(directory: String) throws -> [(line: [UInt8], answer: JournaledAnswer)] {
        let path = (directory as NSString).appendingPathComponent(fileName)
        try FilePermissions.checkStateFile(path)
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 && errno == ENOENT { return [] }
        guard descriptor >= 0 else { throw failure("cannot open", path) }
        defer { close(descriptor) }
        try requireRegularFile(descriptor, path: path)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read", path) }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        let decoder = JSONDecoder()
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let answer = try? decoder.decode(JournaledAnswer.self, from: Data(line)) else { return nil }
            return (Array(line), answer)
        }
    }

    private static func openForAppend(_ path: String) throws -> Int32 {
        try FilePermissions.checkStateFile(path)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot open", path) }
        do {
            try requireRegularFile(descriptor, path: path)
        } catch {
            close(descriptor)
            throw error
        }
        _ = fchmod(descriptor, 0o600)
        return descriptor
    }

    private static func requireRegularFile(_ descriptor: Int32, path: String) throws {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot stat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw SubImportError.io("\(path) is not a regular file") }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw failure("cannot write", path) }
            offset += written
        }
    }

    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ what: String, _ path: String) -> SubImportError {
        .io("\(what) the answer journal \(path): \(String(cString: strerror(errno)))")
    }
}

/// Linux's `fallocate(2)`, which Swift's Glibc module does not export (it is a GNU extension).
@_silgen_name("fallocate")
private func linuxFallocate(_ descriptor: Int32, _ mode: Int32, _ offset: Int, _ length: Int) -> Int32

/// A streaming, byte-level CSV reader.
///
/// Reads RFC 4180 CSV (leniently, like Python's `csv` module with `strict=False`) in
/// constant memory: the file is read with read(2) in chunks of `chunkSize` bytes and only
/// the current chunk, the current field and the current record are held. Records are
/// returned one at a time by ``next()``; the header is simply the first record.
///
/// What the reader does for you:
/// - skips a UTF-8 byte order mark (``hadByteOrderMark``);
/// - detects the delimiter from the header line (``delimiter``);
/// - skips blank lines while keeping ``CSVRecord/line`` equal to the physical line number;
/// - decodes every field as UTF-8, or as Windows-1252 once the file shows it is not UTF-8
///   (``encoding``), flagging per record what cannot be decoded cleanly
///   (``CSVRecordProblem``);
/// - throws ``CSVFileError`` only for whole-file failures: cannot open, read error, NUL byte
///   (binary file), no header row.
///
/// Memory stays bounded whatever the file: a record of more than ``maxRecordBytes`` bytes
/// (``defaultMaxRecordBytes``, 64 KiB, unless told otherwise) is skipped to its end without
/// being buffered and returned with the problem ``CSVRecordProblem/tooLong(column:limit:)``.
///
/// A reader is a single-use, single-threaded iterator (not `Sendable`).
public final class CSVReader {
    /// The most bytes a record may hold by default: 64 KiB, its fields' bytes plus one per
    /// delimiter (quotes and line ends not counted).
    public static let defaultMaxRecordBytes = 64 * 1024

    /// The most bytes a record may hold (see ``defaultMaxRecordBytes``).
    public var maxRecordBytes: Int { core.parser.maxRecordBytes }

    /// The high-water mark of the reader's own buffers (the input chunk and the field being
    /// collected), in bytes: at most about `chunkSize + 2 × maxRecordBytes`, whatever was read.
    public var largestBufferedBytes: Int { core.largestBufferedBytes }

    private var core: StreamingReader

    /// The path given to ``init(path:chunkSize:)``, or the name given to
    /// ``init(bytes:name:chunkSize:)``. Used in errors.
    public var path: String { core.path }

    /// The field delimiter: the most frequent of `,` `;` and tab outside quotes in the header
    /// line (ties go to the first of `,` `;` tab); `,` if none occurs. Known right after init.
    public var delimiter: UInt8 { core.delimiter }

    /// Whether the input started with a UTF-8 byte order mark (it is skipped, never part of a
    /// field). A BOM counts as evidence that the file is UTF-8: invalid bytes later are then
    /// `.undecodable`, not a reason to switch to Windows-1252.
    public var hadByteOrderMark: Bool { core.hadByteOrderMark }

    /// How many bytes of the input have been parsed so far (including the BOM and blank
    /// lines), for progress. Equals the file size once ``next()`` has returned nil.
    public var bytesConsumed: Int { core.bytesConsumed }

    /// How many records ``next()`` has returned so far (the header included).
    public var recordsRead: Int { core.recordsRead }

    /// The encoding fields are decoded with. Starts as `.utf8`; switches once to
    /// `.windows1252` when a field is not valid UTF-8 and no valid non-ASCII UTF-8 (nor a BOM)
    /// has been seen before. Records returned before the switch were pure ASCII, identical
    /// in both encodings. Check it after reading to tell the user what was done.
    public var encoding: CSVEncoding { core.parser.decoder.encoding }

    /// The line of the record whose field made the reader switch to Windows-1252, if it did.
    public var encodingSwitchLine: Int? { core.parser.decoder.switchLine }

    /// Opens `path` and reads its first line to detect the BOM and the delimiter.
    ///
    /// - Parameter chunkSize: bytes read per read(2) call (at least 1). Memory use is about
    ///   `chunkSize` plus `maxRecordBytes`, whatever the file.
    /// - Parameter maxRecordBytes: records holding more are returned without their text and
    ///   with the problem ``CSVRecordProblem/tooLong(column:limit:)``.
    /// - Throws: `.cannotOpen` if the file cannot be opened, `.readFailed` if reading fails,
    ///   `.empty` if the file holds no record at all (empty, or only blank lines / a BOM).
    public convenience init(
        path: String, chunkSize: Int = 1 << 20, maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) throws(CSVFileError) {
        try self.init(source: try ByteSource(path: path), chunkSize: chunkSize, maxRecordBytes: maxRecordBytes)
    }

    /// Reads the file open at `descriptor` from its start, like ``init(path:chunkSize:maxRecordBytes:)``,
    /// through a duplicate of the descriptor: the file is never opened again by name, so what is
    /// read is the very file the caller opened and checked. The caller keeps (and closes) `descriptor`.
    ///
    /// - Parameter name: used as the path in errors.
    public convenience init(
        descriptor: Int32, name: String, chunkSize: Int = 1 << 20,
        maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) throws(CSVFileError) {
        try self.init(
            source: try ByteSource(duplicating: descriptor, name: name), chunkSize: chunkSize,
            maxRecordBytes: maxRecordBytes)
    }

    private init(source: ByteSource, chunkSize: Int, maxRecordBytes: Int) throws(CSVFileError) {
        let name = source.name
        var core = try StreamingReader(source: source, chunkSize: chunkSize, maxRecordBytes: maxRecordBytes)
        if core.isKnownEmpty {
            core.deallocate()
            throw .empty(path: name)
        }
        self.core = core
    }

    /// Creates a reader over bytes in memory; it behaves exactly like a reader over a file
    /// with the same content.
    ///
    /// - Parameters:
    ///   - name: used as the path in errors.
    ///   - chunkSize: how many bytes are handed to the parser at a time (tests use tiny sizes
    ///     to exercise chunk boundaries; results never depend on it). By default, all at once.
    ///
    /// Unlike ``init(path:chunkSize:)`` this cannot fail: an input without any record makes
    /// the first ``next()`` throw `.empty`.
    public init(
        bytes: [UInt8], name: String = "<memory>", chunkSize: Int = .max,
        maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) {
        let chunk = min(max(chunkSize, 1), max(bytes.count, 1))
        do {
            core = try StreamingReader(
                source: ByteSource(bytes: bytes, name: name), chunkSize: chunk, maxRecordBytes: maxRecordBytes)
        } catch {
            fatalError("reading from memory cannot fail: \(error)")  // no I/O is involved
        }
    }

    deinit {
        core.deallocate()
    }

    /// Returns the next record, or nil at the end of the input. The first record is the header.
    ///
    /// Guarantees: every record has at least one field; blank lines are never returned;
    /// malformed quoting and encoding trouble never throw but set ``CSVRecord/problem``; the
    /// result never depends on the chunk size. After an error every later call throws it
    /// again; after nil every later call returns nil.
    ///
    /// - Throws: `.binary` at the first NUL byte (with its line), `.readFailed` if reading
    ///   fails, `.empty` (on the first call) if the input holds no record at all.
    public func next() throws(CSVFileError) -> CSVRecord? {
        try core.next()
    }

    /// Gives back the fields of a record the caller is done with, emptied here: when nothing
    /// else holds them, the next record is read into their storage (one allocation less a
    /// record). Optional: records never depend on it.
    public func recycle(_ fields: inout [String]) {
        core.recycle(&fields)
    }
}

@available(*, unavailable, message: "a CSVReader is a single-threaded iterator")
extension CSVReader: Sendable {}

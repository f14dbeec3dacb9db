/// The engine behind ``CSVReader``: owns the byte source, the chunk buffer and the parser.
///
/// It is a struct held in a single stored property of the class so that a call to
/// ``CSVReader/next()`` costs one exclusivity check, not one per field touched.
struct StreamingReader {
    let path: String
    private(set) var delimiter: UInt8
    private(set) var hadByteOrderMark = false
    private(set) var bytesConsumed = 0
    private(set) var recordsRead = 0
    /// Whether the header scan reached the end of the input without finding any record
    /// (empty input, or only blank lines and maybe a BOM).
    private(set) var isKnownEmpty = false
    private(set) var parser: RecordParser

    private var source: ByteSource
    private let chunkSize: Int
    private var buffer: UnsafeMutablePointer<UInt8>
    private var bufferCapacity: Int
    /// The most bytes the reader's buffers (input chunk and field) have held at once, at most.
    var largestBufferedBytes: Int { bufferCapacity + parser.largestFieldCapacity }
    private var position = 0
    private var end = 0
    private var atEndOfInput = false
    private var failure: CSVFileError?

    /// Reads until the whole header line (bounded by the detector's scan limit) is buffered,
    /// then detects the BOM and the delimiter. The parser later starts on those same bytes.
    init(source: ByteSource, chunkSize: Int, maxRecordBytes: Int) throws(CSVFileError) {
        self.source = source
        path = source.name
        self.chunkSize = max(chunkSize, 1)
        bufferCapacity = self.chunkSize
        buffer = .allocate(capacity: bufferCapacity)

        var detector = DelimiterDetector()
        var scanned = 0
        var checkedBOM = false
        while true {
            if !checkedBOM && (end >= 3 || atEndOfInput) {
                checkedBOM = true
                if end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
                    hadByteOrderMark = true
                    scanned = 3
                }
            }
            if checkedBOM {
                detector.feed(UnsafeBufferPointer(start: buffer + scanned, count: end - scanned))
                scanned = end
                if detector.isDone { break }
            }
            if atEndOfInput { break }
            if end == bufferCapacity {
                (buffer, bufferCapacity) = Self.grow(buffer, capacity: bufferCapacity, used: end, by: self.chunkSize)
            }
            do {
                let count = try self.source.read(into: buffer + end, count: min(self.chunkSize, bufferCapacity - end))
                if count == 0 { atEndOfInput = true }
                end += count
            } catch {
                self.source.close()
                buffer.deallocate()
                throw error
            }
        }
        if atEndOfInput { self.source.close() }
        delimiter = detector.delimiter
        isKnownEmpty = atEndOfInput && !detector.sawRecord
        parser = RecordParser(delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        if hadByteOrderMark {
            parser.decoder.sawUTF8Evidence = true
            position = 3
            bytesConsumed = 3
        }
    }

    /// Frees the buffers and closes the file. Called once, by the owner's deinit.
    mutating func deallocate() {
        source.close()
        buffer.deallocate()
        parser.deallocate()
    }

    /// Moves the `used` bytes of `buffer` to a new, larger buffer and frees the old one.
    private static func grow(
        _ buffer: UnsafeMutablePointer<UInt8>, capacity: Int, used: Int, by chunkSize: Int
    ) -> (UnsafeMutablePointer<UInt8>, Int) {
        let newCapacity = capacity + max(chunkSize, 4096)
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: used)
        buffer.deallocate()
        return (newBuffer, newCapacity)
    }

    /// See `CSVReader.recycle(_:)`.
    mutating func recycle(_ fields: inout [String]) { parser.recycle(&fields) }

    /// See ``CSVReader/next()``.
    mutating func next() throws(CSVFileError) -> CSVRecord? {
        if let failure { throw failure }
        while true {
            if position < end {
                let (next, status) = parser.consume(UnsafePointer(buffer), from: position, to: end)
                bytesConsumed += next - position
                position = next
                switch status {
                case .needMore:
                    continue
                case .record:
                    recordsRead += 1
                    return parser.takeRecord()
                case .nul(let line):
                    try fail(.binary(path: path, line: line))
                }
            }
            if atEndOfInput {
                if parser.finish() {
                    recordsRead += 1
                    return parser.takeRecord()
                }
                if recordsRead == 0 {
                    try fail(.empty(path: path))
                }
                return nil
            }
            position = 0
            end = 0
            let count: Int
            do {
                count = try source.read(into: buffer, count: min(chunkSize, bufferCapacity))
            } catch {
                try fail(error)
            }
            if count == 0 {
                atEndOfInput = true
                source.close()
            }
            end = count
        }
    }

    private mutating func fail(_ error: CSVFileError) throws(CSVFileError) -> Never {
        failure = error
        source.close()
        throw error
    }
}

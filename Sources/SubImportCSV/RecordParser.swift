/// The byte-level CSV state machine behind ``CSVReader``.
///
/// It is fed chunks of any size (down to one byte) and keeps all its state between chunks,
/// so a field, a `""` escape or a CRLF may be split anywhere. Field bytes that span chunks are
/// collected in one reusable buffer; a field that lies inside one chunk is decoded straight
/// from the chunk. Strings are made only at the end of a field.
///
/// Grammar (RFC 4180, lenient like Python's `csv` module with `strict=False`):
/// - a field is quoted only if `"` is its first byte; `""` inside quotes is one quote;
///   quoted fields may hold the delimiter, CR, LF and CRLF;
/// - a quote inside an unquoted field is literal; bytes after a closing quote are appended
///   to the field (which continues unquoted);
/// - records end with LF, CRLF or a lone CR; an empty physical line is skipped;
/// - a quoted field still open at the end of input yields the record read so far.
///
/// Memory is bounded whatever the input: a record whose fields hold more than
/// ``maxRecordBytes`` bytes (a delimiter counted as one) is not kept. The parser stops
/// collecting its text as soon as it crosses the limit, skips to the record's end (still
/// following quotes and counting lines), and returns it with no text and the problem
/// ``CSVRecordProblem/tooLong(column:limit:)``.
struct RecordParser {
    enum State {
        case recordStart
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    enum Status {
        /// The chunk was used up without completing a record.
        case needMore
        /// A record is complete; take it with ``takeRecord()``.
        case record
        /// A NUL byte was found on this line.
        case nul(line: Int)
    }

    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D
    private static let quote: UInt8 = 0x22

    let delimiter: UInt8
    private var state = State.recordStart
    /// The current physical line (1-based).
    private(set) var line = 1
    /// Whether the last byte processed was a CR, so that a following LF is not a new line.
    private var previousWasCR = false
    private var recordLine = 1
    private var quoteColumn = 0
    private var fields: [String] = []
    /// Storage of a record's fields given back by `recycle`, for the next record.
    private var spare: [String] = []
    private var expectedFieldCount = 0
    private var problem: CSVRecordProblem?
    var decoder = FieldDecoder()
    /// The most bytes a record may hold.
    let maxRecordBytes: Int
    /// Bytes of the current record's completed fields, one more per field for its delimiter.
    private var recordBytes = 0
    /// The current record crossed ``maxRecordBytes``: its text is dropped until its end.
    private var isOversize = false

    /// Bytes of the current field when it spans chunks or contains `""`/quoted parts.
    private var fieldBytes: UnsafeMutablePointer<UInt8>
    private var fieldCount = 0
    private var fieldCapacity: Int
    /// The largest capacity the field buffer has had (its high-water mark).
    private(set) var largestFieldCapacity: Int
    /// OR of all bytes in `fieldBytes`: >= 0x80 means the field is not pure ASCII.
    private var fieldBitsUnion: UInt8 = 0
    private let unquotedScanner: ByteScanner
    private let quotedScanner: ByteScanner

    init(delimiter: UInt8, maxRecordBytes: Int) {
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
        fieldCapacity = 256
        fieldBytes = .allocate(capacity: fieldCapacity)
        largestFieldCapacity = fieldCapacity
        unquotedScanner = ByteScanner(stoppingAt: delimiter, Self.lineFeed, Self.carriageReturn)
        quotedScanner = ByteScanner(stoppingAt: Self.quote, Self.lineFeed, Self.carriageReturn)
    }

    /// Frees the buffers. The owner calls this exactly once (the parser is not used after).
    func deallocate() {
        fieldBytes.deallocate()
    }

    /// Parses `bytes[start..<end]` until a record is complete or the bytes run out.
    /// Returns the index of the first byte not consumed.
    ///
    /// The common case (a run of fields wholly inside the chunk) stays in the inner loop of
    /// `.fieldStart` and decodes each field straight from the chunk; the other states handle
    /// what crosses a chunk boundary or needs the field buffer.
    mutating func consume(
        _ bytes: UnsafePointer<UInt8>, from start: Int, to end: Int
    ) -> (next: Int, status: Status) {
        let delimiter = self.delimiter
        let unquotedScanner = self.unquotedScanner
        let quotedScanner = self.quotedScanner
        var index = start
        while index < end {
            switch state {
            case .recordStart:
                let byte = bytes[index]
                if byte == Self.lineFeed {
                    if previousWasCR { previousWasCR = false } else { line += 1 }
                    index += 1
                    continue
                }
                if byte == Self.carriageReturn {
                    line += 1
                    previousWasCR = true
                    index += 1
                    continue
                }
                previousWasCR = false
                recordLine = line
                state = .fieldStart
                fallthrough

            case .fieldStart:
                // At a field start the field buffer is always empty.
                while index < end {
                    if bytes[index] == Self.quote {
                        index += 1
                        quoteColumn = fields.count + 1
                        state = .quoted
                        break
                    }
                    let fieldStart = index
                    let bitsUnion: UInt8
                    (index, bitsUnion) = unquotedScanner.scan(bytes, from: index, to: end)
                    if index == end {
                        appendToField(bytes + fieldStart, count: index - fieldStart, bitsUnion: bitsUnion)
                        state = .unquoted
                        return (index, .needMore)
                    }
                    let stop = bytes[index]
                    if stop == 0 {
                        return (index, .nul(line: line))
                    }
                    endField(UnsafeBufferPointer(start: bytes + fieldStart, count: index - fieldStart), bitsUnion)
                    index += 1
                    if stop != delimiter {
                        endLine(stop)
                        return (index, .record)
                    }
                }

            case .unquoted:
                // An unquoted field continued from the previous chunk, or text after a
                // closing quote (lenient: it is appended to the field).
                let fieldStart = index
                let bitsUnion: UInt8
                (index, bitsUnion) = unquotedScanner.scan(bytes, from: index, to: end)
                appendToField(bytes + fieldStart, count: index - fieldStart, bitsUnion: bitsUnion)
                if index == end {
                    return (index, .needMore)
                }
                let stop = bytes[index]
                if stop == 0 {
                    return (index, .nul(line: line))
                }
                endFieldFromBuffer()
                index += 1
                if stop == delimiter {
                    state = .fieldStart
                } else {
                    endLine(stop)
                    return (index, .record)
                }

            case .quoted:
                let fieldStart = index
                let bitsUnion: UInt8
                (index, bitsUnion) = quotedScanner.scan(bytes, from: index, to: end)
                if index == end {
                    appendToField(bytes + fieldStart, count: index - fieldStart, bitsUnion: bitsUnion)
                    if index > fieldStart { previousWasCR = false }
                    return (index, .needMore)
                }
                let stop = bytes[index]
                if stop == Self.quote && fieldCount == 0 && index + 1 < end {
                    // Fast path: a quoted field without `""` or line breaks, closed inside this
                    // chunk and followed by a delimiter or a line break.
                    let after = bytes[index + 1]
                    if after == delimiter || after == Self.lineFeed || after == Self.carriageReturn {
                        endField(UnsafeBufferPointer(start: bytes + fieldStart, count: index - fieldStart), bitsUnion)
                        previousWasCR = false
                        index += 2
                        if after == delimiter {
                            state = .fieldStart
                            continue
                        }
                        endLine(after)
                        return (index, .record)
                    }
                }
                if index > fieldStart {
                    appendToField(bytes + fieldStart, count: index - fieldStart, bitsUnion: bitsUnion)
                    previousWasCR = false
                }
                if stop == Self.quote {
                    previousWasCR = false
                    state = .quoteInQuoted
                } else if stop == Self.carriageReturn {
                    appendByte(stop)
                    line += 1
                    previousWasCR = true
                } else if stop == Self.lineFeed {
                    appendByte(stop)
                    if previousWasCR { previousWasCR = false } else { line += 1 }
                } else {
                    return (index, .nul(line: line))
                }
                index += 1

            case .quoteInQuoted:
                let byte = bytes[index]
                if byte == Self.quote {
                    appendByte(byte)
                    index += 1
                    state = .quoted
                } else if byte == delimiter {
                    index += 1
                    endFieldFromBuffer()
                    state = .fieldStart
                } else if byte == Self.lineFeed || byte == Self.carriageReturn {
                    index += 1
                    endFieldFromBuffer()
                    endLine(byte)
                    return (index, .record)
                } else if byte == 0 {
                    return (index, .nul(line: line))
                } else {
                    // Lenient: text after the closing quote continues the field, unquoted.
                    state = .unquoted
                }
            }
        }
        return (index, .needMore)
    }

    /// Completes the pending record at end of input. Returns whether there was one.
    mutating func finish() -> Bool {
        switch state {
        case .recordStart:
            return false
        case .quoted:
            noteProblem(.unterminatedQuote(column: quoteColumn))
            endFieldFromBuffer()
        case .fieldStart, .unquoted, .quoteInQuoted:
            endFieldFromBuffer()
        }
        state = .recordStart
        return true
    }

    /// Hands out the completed record and gets ready for the next one.
    mutating func takeRecord() -> CSVRecord {
        let record = CSVRecord(fields: isOversize ? [""] : fields, line: recordLine, problem: problem)
        if expectedFieldCount == 0 { expectedFieldCount = min(fields.count, Self.reservedFieldCount) }
        if spare.capacity >= expectedFieldCount && spare.capacity > 0 {
            swap(&fields, &spare)
            spare = []
        } else {
            fields = []
            fields.reserveCapacity(expectedFieldCount)
        }
        problem = nil
        recordBytes = 0
        isOversize = false
        return record
    }

    /// Keeps `used` (the fields of a record taken before), emptied, to read the next record
    /// into (emptying storage that something else still holds copies it first, as arrays do).
    mutating func recycle(_ used: inout [String]) {
        guard used.capacity >= expectedFieldCount, used.capacity <= Self.reservedFieldCount else { return }
        swap(&spare, &used)
        spare.removeAll(keepingCapacity: true)
        used = []
    }

    /// At most this many fields are reserved ahead for a record (a header of thousands of empty
    /// cells must not make every record allocate for thousands).
    private static let reservedFieldCount = 64

    // MARK: - Helpers

    @inline(__always)
    private mutating func endLine(_ terminator: UInt8) {
        line += 1
        previousWasCR = terminator == Self.carriageReturn
        state = .recordStart
    }

    @inline(__always)
    private mutating func appendToField(_ source: UnsafePointer<UInt8>, count: Int, bitsUnion: UInt8) {
        if count == 0 { return }
        if recordBytes + fieldCount + count > maxRecordBytes {
            becomeOversize()
            return
        }
        if fieldCount + count > fieldCapacity { grow(to: fieldCount + count) }
        (fieldBytes + fieldCount).update(from: source, count: count)
        fieldCount += count
        fieldBitsUnion |= bitsUnion
    }

    @inline(__always)
    private mutating func appendByte(_ byte: UInt8) {
        if recordBytes + fieldCount + 1 > maxRecordBytes {
            becomeOversize()
            return
        }
        if fieldCount == fieldCapacity { grow(to: fieldCount + 1) }
        fieldBytes[fieldCount] = byte
        fieldCount += 1
        fieldBitsUnion |= byte
    }

    private mutating func grow(to minimum: Int) {
        var capacity = fieldCapacity * 2
        while capacity < minimum { capacity *= 2 }
        let newBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        newBytes.update(from: fieldBytes, count: fieldCount)
        fieldBytes.deallocate()
        fieldBytes = newBytes
        fieldCapacity = capacity
        largestFieldCapacity = max(largestFieldCapacity, capacity)
    }

    @inline(__always)
    private mutating func endFieldFromBuffer() {
        endField(UnsafeBufferPointer(start: fieldBytes, count: fieldCount), fieldBitsUnion)
        fieldCount = 0
        fieldBitsUnion = 0
        if fieldCapacity > Self.retainedFieldCapacity { shrinkFieldBuffer() }
    }

    /// Field buffers larger than this are given back after the field, so one huge field does
    /// not keep its memory for the rest of the file.
    private static let retainedFieldCapacity = 1 << 20

    @inline(never)
    private mutating func shrinkFieldBuffer() {
        fieldBytes.deallocate()
        fieldCapacity = 256
        fieldBytes = .allocate(capacity: fieldCapacity)
    }

    /// Drops the current record's text (once it is known to be over the limit) and flags it.
    @inline(never)
    private mutating func becomeOversize() {
        if !isOversize {
            isOversize = true
            problem = .tooLong(column: fields.count + 1, limit: maxRecordBytes)
            fields = []
        }
        // Every later byte of the record counts past the limit, so nothing is kept.
        recordBytes = maxRecordBytes + 1
        fieldCount = 0
        fieldBitsUnion = 0
    }

    @inline(__always)
    private mutating func endField(_ bytes: UnsafeBufferPointer<UInt8>, _ bitsUnion: UInt8) {
        recordBytes &+= bytes.count &+ 1
        if recordBytes > maxRecordBytes {
            becomeOversize()
            return
        }
        if bitsUnion < 0x80 {
            fields.append(String(decoding: bytes, as: UTF8.self))
        } else {
            appendNonASCIIField(bytes)
        }
    }

    @inline(never)
    private mutating func appendNonASCIIField(_ bytes: UnsafeBufferPointer<UInt8>) {
        let (text, fieldProblem) = decoder.decodeNonASCII(bytes, column: fields.count + 1, line: recordLine)
        if let fieldProblem { noteProblem(fieldProblem) }
        fields.append(text)
    }

    private mutating func noteProblem(_ newProblem: CSVRecordProblem) {
        if problem == nil && !isOversize { problem = newProblem }
    }
}

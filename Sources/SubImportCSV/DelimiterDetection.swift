/// Detects the field delimiter from the first record (the header line).
///
/// The delimiter is the most frequent of `,` `;` and tab outside quotes in the first
/// non-blank line; ties go to the earlier of `,` `;` tab, and `,` is used when none occurs.
/// Bytes are fed incrementally (chunks of any size give the same result) and the scan stops
/// at the end of the first record or after ``scanLimit`` bytes (leading blank lines included),
/// so memory stays bounded.
struct DelimiterDetector {
    /// The candidates, in tie-breaking order.
    static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
    /// How many bytes of the first record are looked at, at most.
    static let scanLimit = 64 * 1024

    private var counts = [0, 0, 0]
    private var inQuotes = false
    private var atFieldStart = true
    private var justClosedQuote = false
    private var scanned = 0
    /// Whether a non-blank byte has been seen (leading blank lines are skipped).
    private(set) var sawRecord = false
    /// Whether the end of the first record (or the scan limit) was reached.
    private(set) var isDone = false

    /// Scans `bytes` until the end of the first record; returns early once done.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        let quote = UInt8(ascii: "\"")
        for byte in bytes {
            if isDone { return }
            let isNewline = byte == 0x0A || byte == 0x0D
            scanned += 1
            if scanned >= Self.scanLimit { isDone = true }
            if !sawRecord {
                if isNewline { continue }
                sawRecord = true
            }
            if inQuotes {
                if byte == quote {
                    inQuotes = false
                    justClosedQuote = true
                }
                continue
            }
            if isNewline {
                isDone = true
                return
            }
            if byte == quote && (atFieldStart || justClosedQuote) {
                // An opening quote, or the second quote of a `""` escape inside a quoted field.
                inQuotes = true
                atFieldStart = false
                justClosedQuote = false
                continue
            }
            justClosedQuote = false
            if let index = Self.candidates.firstIndex(of: byte) {
                counts[index] += 1
                atFieldStart = true
            } else {
                atFieldStart = false
            }
        }
    }

    /// The detected delimiter (valid at any time; final once ``isDone`` or at end of input).
    var delimiter: UInt8 {
        var best = 0
        for index in counts.indices where counts[index] > counts[best] {
            best = index
        }
        return Self.candidates[best]
    }
}

import Foundation
import SubImportCSV

/// Chunk sizes every chunk-sensitive test runs with: tiny ones split fields, quotes, `""`,
/// CRLF and multi-byte characters at every possible place; `Int.max` is "all at once".
let chunkSizes = [1, 2, 3, 7, 64, Int.max]

/// Reads every record of `reader`.
func readAll(_ reader: CSVReader) throws(CSVFileError) -> [CSVRecord] {
    var records: [CSVRecord] = []
    while let record = try reader.next() {
        records.append(record)
    }
    return records
}

/// Reads every record of `bytes`.
func records(_ bytes: [UInt8], chunkSize: Int = .max) throws(CSVFileError) -> [CSVRecord] {
    try readAll(CSVReader(bytes: bytes, chunkSize: chunkSize))
}

/// Reads every record of `text` (UTF-8) and returns just the fields.
func rows(_ text: String, chunkSize: Int = .max) throws(CSVFileError) -> [[String]] {
    try records(Array(text.utf8), chunkSize: chunkSize).map(\.fields)
}

/// Everything observable about reading some bytes, to compare readings with each other.
struct Outcome: Equatable, CustomStringConvertible {
    var records: [CSVRecord] = []
    var error: CSVFileError?
    var delimiter: UInt8 = 0
    var encoding: CSVEncoding = .utf8
    var encodingSwitchLine: Int?
    var hadByteOrderMark = false
    var bytesConsumed = 0

    init(_ bytes: [UInt8], chunkSize: Int) {
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        do {
            while let record = try reader.next() {
                records.append(record)
            }
        } catch {
            self.error = error
        }
        delimiter = reader.delimiter
        encoding = reader.encoding
        encodingSwitchLine = reader.encodingSwitchLine
        hadByteOrderMark = reader.hadByteOrderMark
        bytesConsumed = reader.bytesConsumed
    }

    var description: String {
        "records: \(records), error: \(String(describing: error)), delimiter: \(delimiter), "
            + "encoding: \(encoding) since \(String(describing: encodingSwitchLine)), BOM: \(hadByteOrderMark), "
            + "consumed: \(bytesConsumed)"
    }
}

/// SplitMix64: a small, fast, seedable generator so every random test is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A generated CSV document: the records it stands for and its serialized bytes.
struct GeneratedDocument {
    var records: [[String]]
    /// The physical line each record starts on.
    var lines: [Int]
    var delimiter: UInt8
    var bytes: [UInt8]
}

/// Generates valid (RFC 4180) CSV documents with awkward content: delimiters, quotes, CR, LF
/// and CRLF inside fields, empty fields, non-ASCII text, all three line endings, blank lines,
/// with or without a final line break.
struct DocumentGenerator {
    var random: SeededGenerator
    /// Include `;`-, tab- and `,`-delimited documents.
    var delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
    /// Characters fields are made of (beyond the CSV-special ones).
    var alphabet: [String] = ["a", "b", "z", "Z", "0", "9", " ", "-", ".", "é", "ü", "ß", "€", "漢", "字", "🎉", "ʤ"]
    var minColumns = 1
    var maxColumns = 6
    var maxRecords = 12

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    mutating func field() -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return ""
        default:
            let specials = [",", ";", "\t", "\"", "\r", "\n", "\r\n", "\"\""]
            var text = ""
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                if Int.random(in: 0..<5, using: &random) == 0 {
                    text += specials.randomElement(using: &random)!
                } else {
                    text += alphabet.randomElement(using: &random)!
                }
            }
            return text
        }
    }

    /// Serializes one field, quoting it when needed (and sometimes when not).
    mutating func serialize(_ field: String, alone: Bool) -> String {
        let special = ",;\t\"\r\n".unicodeScalars
        let needsQuotes = field.unicodeScalars.contains(where: { special.contains($0) }) || (alone && field.isEmpty)
        if needsQuotes || Int.random(in: 0..<6, using: &random) == 0 {
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
    }

    mutating func document() -> GeneratedDocument {
        let delimiter = delimiters.randomElement(using: &random)!
        let columns = Int.random(in: minColumns...maxColumns, using: &random)
        let count = Int.random(in: 1...maxRecords, using: &random)
        var records: [[String]] = []
        for index in 0..<count {
            if index == 0 {
                records.append((0..<columns).map { "h\($0)" })
            } else {
                records.append((0..<columns).map { _ in field() })
            }
        }
        var text = ""
        var lines: [Int] = []
        var line = 1
        var endedWithCR = false
        for (index, record) in records.enumerated() {
            while Int.random(in: 0..<6, using: &random) == 0 {
                var blank = ["\n", "\r\n", "\r"].randomElement(using: &random)!
                // An LF right after a lone CR would merge with it into one CRLF line break.
                if blank == "\n" && endedWithCR { blank = "\r" }
                text += blank
                line += 1
                endedWithCR = blank == "\r"
            }
            lines.append(line)
            var serialized: [String] = []
            for field in record {
                serialized.append(serialize(field, alone: record.count == 1))
            }
            text += serialized.joined(separator: String(UnicodeScalar(delimiter)))
            line += Self.lineBreaks(in: serialized.joined())
            endedWithCR = false
            if index < records.count - 1 || Bool.random(using: &random) {
                let ending = ["\n", "\r\n", "\r"].randomElement(using: &random)!
                text += ending
                line += 1
                endedWithCR = ending == "\r"
            }
        }
        return GeneratedDocument(records: records, lines: lines, delimiter: delimiter, bytes: Array(text.utf8))
    }

    /// Physical line breaks in `text`: LF, CRLF and lone CR each count once.
    static func lineBreaks(in text: String) -> Int {
        var count = 0
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0D {
                count += 1
                previousWasCR = true
            } else {
                if byte == 0x0A && !previousWasCR { count += 1 }
                previousWasCR = false
            }
        }
        return count
    }
}

/// The Windows-1252 bytes of `text` (written independently of the reader's own table, from
/// the code page's published mapping). Traps on a character Windows-1252 does not have.
func windows1252(_ text: String) -> [UInt8] {
    let high: [Unicode.Scalar: UInt8] = [
        "€": 0x80, "‚": 0x82, "ƒ": 0x83, "„": 0x84, "…": 0x85, "†": 0x86, "‡": 0x87, "ˆ": 0x88, "‰": 0x89,
        "Š": 0x8A, "‹": 0x8B, "Œ": 0x8C, "Ž": 0x8E, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95,
        "–": 0x96, "—": 0x97, "˜": 0x98, "™": 0x99, "š": 0x9A, "›": 0x9B, "œ": 0x9C, "ž": 0x9E, "Ÿ": 0x9F,
    ]
    return text.unicodeScalars.map { scalar in
        if let byte = high[scalar] { return byte }
        precondition(scalar.value <= 0xFF && !(0x80..<0xA0).contains(scalar.value), "not in Windows-1252: \(scalar)")
        return UInt8(scalar.value)
    }
}

/// The URL of a file in the test target's `Fixtures` resource folder.
func fixtureURL(_ relativePath: String) throws -> URL {
    guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw FixtureMissing(path: "Fixtures")
    }
    let url = fixtures.appendingPathComponent(relativePath)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw FixtureMissing(path: relativePath)
    }
    return url
}

struct FixtureMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "test fixture not found in the bundle: \(path)" }
}

/// A fresh temporary directory; call `remove()` (typically in a `defer`) when done.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("SubImportCSVTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], named name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

import SubImportCSV
import Testing

/// Seeded fuzzing: random bytes and mutated documents never crash the reader and read the
/// same whatever the chunk size; generated documents survive a serialize -> parse round trip.
@Suite("Fuzz")
struct FuzzTests {
    /// Bytes that matter to a CSV reader, plus pieces of UTF-8 and Windows-1252, and NUL.
    static let interestingBytes: [UInt8] =
        Array(",;\t\"\r\n\"\",ab ".utf8) + [
            0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0x80, 0x81, 0x9D, 0xE9, 0xFF, 0xEF, 0xBB, 0xBF,
        ]

    @Test("Random bytes: no crash, same result for chunk sizes 1, random and 1 MiB")
    func randomBytes() {
        var random = SeededGenerator(seed: 0xC5F)
        var withRecords = 0
        for iteration in 0..<3000 {
            let count = Int.random(in: 0...80, using: &random)
            let bytes = (0..<count).map { _ -> UInt8 in
                if Int.random(in: 0..<400, using: &random) == 0 { return 0 }
                if Int.random(in: 0..<5, using: &random) == 0 { return UInt8.random(in: 0...255, using: &random) }
                return Self.interestingBytes.randomElement(using: &random)!
            }
            let reference = Outcome(bytes, chunkSize: 1 << 20)
            Self.checkInvariants(reference, bytes: bytes, iteration: iteration)
            for chunkSize in [1, Int.random(in: 2...9, using: &random)] {
                let outcome = Outcome(bytes, chunkSize: chunkSize)
                #expect(outcome == reference, "iteration \(iteration), chunk size \(chunkSize), bytes \(bytes)")
            }
            if !reference.records.isEmpty { withRecords += 1 }
        }
        #expect(withRecords > 2000)
    }

    @Test("Mutated documents: no crash, same result for every chunk size")
    func mutatedDocuments() {
        var generator = DocumentGenerator(seed: 31)
        var random = SeededGenerator(seed: 32)
        for iteration in 0..<1200 {
            var bytes = generator.document().bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                let byte = Self.interestingBytes.randomElement(using: &random)!
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.insert(byte, at: position)
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: if position < bytes.count { bytes[position] = byte } else { bytes.append(byte) }
                }
            }
            let reference = Outcome(bytes, chunkSize: 1 << 20)
            Self.checkInvariants(reference, bytes: bytes, iteration: iteration)
            for chunkSize in [1, Int.random(in: 2...13, using: &random)] {
                #expect(Outcome(bytes, chunkSize: chunkSize) == reference, "iteration \(iteration), chunk \(chunkSize)")
            }
        }
    }

    @Test("Round trip: serialize -> parse is the identity (UTF-8)")
    func roundTripUTF8() throws {
        var generator = DocumentGenerator(seed: 4180)
        var random = SeededGenerator(seed: 4181)
        var fields = 0
        for iteration in 0..<1500 {
            let document = generator.document()
            let withBOM = Int.random(in: 0..<8, using: &random) == 0
            let bytes = withBOM ? [0xEF, 0xBB, 0xBF] + document.bytes : document.bytes
            let chunkSize = [1, 2, 3, 7, 16, Int.max].randomElement(using: &random)!
            let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
            let records = try readAll(reader)
            let context =
                "iteration \(iteration), chunk \(chunkSize): \(String(decoding: bytes, as: UTF8.self).debugDescription)"
            #expect(records.map(\.fields) == document.records, "\(context)")
            #expect(records.map(\.line) == document.lines, "\(context)")
            #expect(records.allSatisfy { $0.problem == nil }, "\(context)")
            #expect(reader.encoding == .utf8)
            #expect(reader.hadByteOrderMark == withBOM)
            #expect(reader.bytesConsumed == bytes.count)
            if document.records[0].count > 1 {
                #expect(reader.delimiter == document.delimiter, "\(context)")
            }
            fields += records.reduce(0) { $0 + $1.fields.count }
        }
        #expect(fields > 10_000)
    }

    @Test("Round trip: serialize -> parse is the identity (Windows-1252)")
    func roundTripWindows1252() throws {
        var generator = DocumentGenerator(seed: 1252)
        generator.alphabet = ["a", "Z", "0", " ", "éa", "Üb", "€c", "’d", "œe", "ÿf", "Šg", "«h", "°i"]
        var random = SeededGenerator(seed: 1253)
        for iteration in 0..<400 {
            let document = generator.document()
            let bytes = windows1252(String(decoding: document.bytes, as: UTF8.self))
            let chunkSize = [1, 2, 5, Int.max].randomElement(using: &random)!
            let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
            let records = try readAll(reader)
            #expect(records.map(\.fields) == document.records, "iteration \(iteration)")
            #expect(records.map(\.line) == document.lines, "iteration \(iteration)")
            #expect(records.allSatisfy { $0.problem == nil }, "iteration \(iteration)")
            let expectedEncoding: CSVEncoding = bytes.contains { $0 >= 0x80 } ? .windows1252 : .utf8
            #expect(reader.encoding == expectedEncoding, "iteration \(iteration)")
        }
    }

    /// What holds for any input.
    static func checkInvariants(_ outcome: Outcome, bytes: [UInt8], iteration: Int) {
        #expect(outcome.records.allSatisfy { !$0.fields.isEmpty }, "iteration \(iteration)")
        let lines = outcome.records.map(\.line)
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0 < $1 }, "lines increase, iteration \(iteration)")
        #expect(outcome.bytesConsumed <= bytes.count)
        if outcome.error == nil {
            #expect(outcome.bytesConsumed == bytes.count, "iteration \(iteration)")
            #expect(!bytes.contains(0), "iteration \(iteration)")
        }
        if case .binary = outcome.error?.kind {
            #expect(bytes.contains(0), "iteration \(iteration)")
        }
        if outcome.error?.kind == .empty(path: "<memory>") {
            #expect(outcome.records.isEmpty)
        }
        // Only the last record can be an unterminated quote.
        for record in outcome.records.dropLast() {
            if case .unterminatedQuote = record.problem {
                Issue.record("unterminated quote before the last record, iteration \(iteration)")
            }
        }
    }
}

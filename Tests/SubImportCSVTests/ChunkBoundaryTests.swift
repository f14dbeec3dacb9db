import SubImportCSV
import Testing

/// Chunk boundaries may fall anywhere: inside a field, a `""` escape, a CRLF, a multi-byte
/// character, the BOM, or right after a closing quote. The result must never depend on them.
@Suite("Chunk boundaries")
struct ChunkBoundaryTests {
    static let tricky: [UInt8] =
        [0xEF, 0xBB, 0xBF]
        + Array("nom;\"pré\"\"nom\";ville\r\n\r\n\"a;b\"c;\"\";Zürich 🎉\r\n\"x\r\ny\";\"\"\"\";\r".utf8)
        + Array("\n\"q\"\"\";ab\"c;\"unterminated\r\n".utf8)
    static let expected = [
        CSVRecord(fields: ["nom", "pré\"nom", "ville"], line: 1),
        CSVRecord(fields: ["a;bc", "", "Zürich 🎉"], line: 3),
        CSVRecord(fields: ["x\r\ny", "\"", ""], line: 4),
        CSVRecord(fields: ["q\"", "ab\"c", "unterminated\r\n"], line: 6, problem: .unterminatedQuote(column: 3)),
    ]

    @Test("Every chunk size from 1 to the whole input gives the same records")
    func everyChunkSize() throws {
        for chunkSize in 1...(Self.tricky.count + 1) {
            let reader = CSVReader(bytes: Self.tricky, chunkSize: chunkSize)
            #expect(reader.delimiter == UInt8(ascii: ";"), "chunk size \(chunkSize)")
            #expect(reader.hadByteOrderMark, "chunk size \(chunkSize)")
            #expect(try readAll(reader) == Self.expected, "chunk size \(chunkSize)")
            #expect(reader.bytesConsumed == Self.tricky.count)
        }
    }

    @Test("Every chunk size, Windows-1252 with a CRLF and an escape at each offset")
    func everyChunkSizeWindows1252() throws {
        let bytes = windows1252("a;b\r\n\"Société \"\"Générale\"\"\";Hélène\r\n€;\"x\r\n\"\r\n")
        for chunkSize in 1...(bytes.count + 1) {
            let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
            #expect(
                try readAll(reader) == [
                    CSVRecord(fields: ["a", "b"], line: 1),
                    CSVRecord(fields: ["Société \"Générale\"", "Hélène"], line: 2),
                    CSVRecord(fields: ["€", "x\r\n"], line: 3),
                ], "chunk size \(chunkSize)")
            #expect(reader.encoding == .windows1252)
            #expect(reader.encodingSwitchLine == 2)
        }
    }
}

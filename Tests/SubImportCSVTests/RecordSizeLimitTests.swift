import Foundation
import SubImportCSV
import Testing

/// Records over the size limit are skipped to their end without being buffered.
@Suite("Record size limit")
struct RecordSizeLimitTests {
    @Test("A record over the limit comes back without text, flagged, and the next records are intact")
    func overLimitRecordIsFlagged() throws {
        let text =
            "a,b\n" + "aaaaaaa,bbbbbbb\n" + "aaaaaaa,bbbbbbbb\n" + "c,d\n"
            + "\"quoted \"\"x\"\"\nspanning lines\",z\n" + "e,\"unterminated quote"
        for chunkSize in chunkSizes {
            let reader = CSVReader(bytes: Array(text.utf8), chunkSize: chunkSize, maxRecordBytes: 16)
            let read = try readAll(reader)
            #expect(read.map(\.fields) == [["a", "b"], ["aaaaaaa", "bbbbbbb"], [""], ["c", "d"], [""], [""]])
            #expect(read.map(\.line) == [1, 2, 3, 4, 5, 7], "chunk size \(chunkSize)")
            #expect(read[1].problem == nil, "16 bytes (delimiters counted) is within the limit")
            #expect(read[2].problem == .tooLong(column: 2, limit: 16))
            #expect(read[4].problem == .tooLong(column: 1, limit: 16))
            #expect(read[5].problem == .tooLong(column: 2, limit: 16), "the size problem wins over the open quote")
        }
        #expect(
            CSVRecordProblem.tooLong(column: 2, limit: 16).description
                == "column 2: record longer than 16 bytes, the most a record may hold; its cells were not read"
        )
    }

    @Test("Huge quoted and unquoted fields and a huge header are read in bounded memory")
    func hostileFileOnDiskKeepsBuffersSmall() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fieldSize = 24 << 20
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 * fieldSize + (8 << 20) + 100)
        // A header of 8 MiB of empty cells, a quoted field of 24 MiB with line breaks and `""`,
        // an unquoted one of 24 MiB, then an ordinary row.
        bytes += [UInt8](repeating: UInt8(ascii: ","), count: 8 << 20) + Array("\n".utf8)
        bytes += Array("\"".utf8)
        for index in 0..<(fieldSize / 64) {
            bytes += Array((index % 1000 == 0 ? "line\nbreak\"\"" : "0123456789abcdef").utf8)
            bytes += [UInt8](repeating: UInt8(ascii: "q"), count: 48)
        }
        bytes += Array("\",x\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "u"), count: fieldSize) + Array(",y\n".utf8)
        bytes += Array("last,row\n".utf8)
        let path = try directory.write(bytes, named: "hostile.csv")
        bytes = []
        let reader = try CSVReader(path: path)
        let read = try readAll(reader)
        #expect(read.count == 4)
        #expect(
            read.map(\.problem) == [
                .tooLong(column: 65_537, limit: 65_536), .tooLong(column: 1, limit: 65_536),
                .tooLong(column: 1, limit: 65_536), nil,
            ])
        #expect(read.last?.fields == ["last", "row"])
        let lineBreaks = (fieldSize / 64 + 999) / 1000
        #expect(read.last?.line == 4 + lineBreaks)
        #expect(reader.largestBufferedBytes <= (1 << 20) + 2 * CSVReader.defaultMaxRecordBytes)
    }
}

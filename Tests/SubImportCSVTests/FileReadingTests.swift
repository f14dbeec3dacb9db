import Foundation
import SubImportCSV
import Testing

/// Reading from files: the same results as from memory, for any chunk size.
@Suite("Files")
struct FileReadingTests {
    @Test("A generated file read with several chunk sizes matches the in-memory reading")
    func fileMatchesMemory() throws {
        var generator = DocumentGenerator(seed: 99)
        generator.maxRecords = 400
        generator.maxColumns = 5
        var document = generator.document()
        while document.records.count < 200 || document.records[0].count < 2 { document = generator.document() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(document.bytes, named: "big.csv")
        let expected = try records(document.bytes)
        #expect(expected.map(\.fields) == document.records)
        #expect(expected.map(\.line) == document.lines)
        for chunkSize in [1, 3, 7, 4096, 1 << 20] {
            let reader = try CSVReader(path: path, chunkSize: chunkSize)
            #expect(reader.delimiter == document.delimiter)
            #expect(try readAll(reader) == expected, "chunk size \(chunkSize)")
            #expect(reader.bytesConsumed == document.bytes.count)
        }
    }

    @Test("A file is read incrementally: the first record comes before the bad bytes are reached")
    func streaming() throws {
        // A NUL byte far into the file: with small chunks the first records are returned before
        // the reader ever reads that far (it does not load the whole file).
        let body = String(repeating: "x,y\n", count: 10_000)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(Array(("a,b\n" + body).utf8) + [0], named: "late-nul.csv")
        let reader = try CSVReader(path: path, chunkSize: 1024)
        #expect(try reader.next()?.fields == ["a", "b"])
        #expect(reader.bytesConsumed < 2048)
        var count = 0
        let error = #expect(throws: CSVFileError.self) {
            while try reader.next() != nil { count += 1 }
        }
        #expect(count == 10_000)
        #expect(error == .binary(path: path, line: 10_002))
    }
}

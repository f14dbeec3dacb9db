import SubImportCSV
import Testing

/// Record terminators, line breaks inside fields, blank lines and physical line numbers.
@Suite("Lines")
struct LineTests {
    @Test("LF, CRLF and lone CR all end records", arguments: chunkSizes)
    func terminators(chunkSize: Int) throws {
        let records = try records(Array("a,b\n1,2\r\n3,4\r5,6\n7,8".utf8), chunkSize: chunkSize)
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]])
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
    }

    @Test("A file with only CR line endings", arguments: chunkSizes)
    func crOnlyFile(chunkSize: Int) throws {
        let records = try records(Array("a;b\r1;\"x\ry\"\r\r3;4\r".utf8), chunkSize: chunkSize)
        #expect(records.map(\.fields) == [["a", "b"], ["1", "x\ry"], ["3", "4"]])
        #expect(records.map(\.line) == [1, 2, 5])
    }

    @Test("Quoted fields keep LF, CRLF and CR as they are", arguments: chunkSizes)
    func embeddedLineBreaks(chunkSize: Int) throws {
        let text = "a,b\r\n\"1\n2\",\"3\r\n4\"\r\n\"5\r6\",\"\r\n\r\n\"\r\nlast,x\r\n"
        let records = try records(Array(text.utf8), chunkSize: chunkSize)
        #expect(records.map(\.fields) == [["a", "b"], ["1\n2", "3\r\n4"], ["5\r6", "\r\n\r\n"], ["last", "x"]])
        // `"1` is on line 2, `2","3` on 3, `4"` on 4; then `"5` on 5, `6","` on 6, two empty
        // lines inside the quotes (7, 8), and "last" on line 9.
        #expect(records.map(\.line) == [1, 2, 5, 9])
    }

    @Test("Blank lines are skipped but counted", arguments: chunkSizes)
    func blankLines(chunkSize: Int) throws {
        let text = "\n\r\na,b\n\n1,2\r\n\r\n\r\r3,4\n\n\n"
        let records = try records(Array(text.utf8), chunkSize: chunkSize)
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [3, 5, 9])
    }

    @Test("A line with only spaces or only quotes is not blank", arguments: chunkSizes)
    func nearlyBlankLines(chunkSize: Int) throws {
        #expect(try rows("a\n \n\"\"\n\n", chunkSize: chunkSize) == [["a"], [" "], [""]])
    }

    @Test("Trailing delimiters give empty fields", arguments: chunkSizes)
    func trailingDelimiters(chunkSize: Int) throws {
        #expect(
            try rows("a;b;\n1;2;\n;;\n3;4;", chunkSize: chunkSize) == [
                ["a", "b", ""], ["1", "2", ""], ["", "", ""], ["3", "4", ""],
            ])
    }

    @Test("The last record may lack a line break, whatever its last field", arguments: chunkSizes)
    func lastRecordWithoutNewline(chunkSize: Int) throws {
        #expect(try rows("a,b\n1,", chunkSize: chunkSize) == [["a", "b"], ["1", ""]])
        #expect(try rows("a,b\n1,\"2\"", chunkSize: chunkSize) == [["a", "b"], ["1", "2"]])
        #expect(try rows("a,b\n1,2", chunkSize: chunkSize) == [["a", "b"], ["1", "2"]])
        #expect(try rows("a,b\r\n1,2\r\n", chunkSize: chunkSize) == [["a", "b"], ["1", "2"]])
    }

    @Test("bytesConsumed ends at the input size and never decreases", arguments: chunkSizes)
    func progress(chunkSize: Int) throws {
        let bytes = Array("\u{FEFF}a,b\n\n\"1\n\",2\r\n3,4\n\n".utf8)
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        var previous = reader.bytesConsumed
        while try reader.next() != nil {
            #expect(reader.bytesConsumed >= previous)
            #expect(reader.bytesConsumed <= bytes.count)
            previous = reader.bytesConsumed
        }
        #expect(reader.bytesConsumed == bytes.count)
        #expect(reader.recordsRead == 3)
        #expect(try reader.next() == nil)  // stays at the end
    }

    @Test("Very many leading blank lines before the header")
    func manyLeadingBlankLines() throws {
        let bytes = Array((String(repeating: "\r\n", count: 70_000) + "a,b\n1,2\n").utf8)
        let records = try records(bytes, chunkSize: 4096)
        #expect(
            records == [CSVRecord(fields: ["a", "b"], line: 70_001), CSVRecord(fields: ["1", "2"], line: 70_002)])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(bytes, named: "blank-start.csv")
        #expect(try readAll(CSVReader(path: path, chunkSize: 1 << 16)) == records)
    }

    @Test("A field larger than 1 MiB, then ordinary records (with a record size limit that allows it)")
    func hugeField() throws {
        let huge = String(repeating: "0123456789abcdé\n", count: 80_000)
        let text = "a,b\n\"" + huge + "\",x\n" + String(repeating: "1,2\n", count: 100)
        let records = try readAll(CSVReader(bytes: Array(text.utf8), chunkSize: 1 << 16, maxRecordBytes: 4 << 20))
        #expect(records.count == 102)
        #expect(records[1].fields == [huge, "x"])
        #expect(records[2] == CSVRecord(fields: ["1", "2"], line: 80_003))
        #expect(records.last == CSVRecord(fields: ["1", "2"], line: 80_102))
    }
}

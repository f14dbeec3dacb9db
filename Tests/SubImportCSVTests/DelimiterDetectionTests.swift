import SubImportCSV
import Testing

/// The delimiter is detected from the header line.
@Suite("Delimiter detection")
struct DelimiterDetectionTests {
    @Test("Semicolon-delimited French export", arguments: chunkSizes)
    func semicolon(chunkSize: Int) throws {
        let reader = CSVReader(
            bytes: Array("prénom;nom;société\nJean;Dupont;\"Dupont, SA\"\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(
            try readAll(reader).map(\.fields) == [["prénom", "nom", "société"], ["Jean", "Dupont", "Dupont, SA"]])
    }

    @Test("Tab-delimited", arguments: chunkSizes)
    func tab(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("a\tb,c\td\n1\t2,3\t4\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: "\t"))
        #expect(try readAll(reader).map(\.fields) == [["a", "b,c", "d"], ["1", "2,3", "4"]])
    }

    @Test("Comma when there is no candidate in the header", arguments: chunkSizes)
    func commaByDefault(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("email\na;b@example.com\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ","))
        #expect(try readAll(reader).map(\.fields) == [["email"], ["a;b@example.com"]])
    }

    @Test("Delimiters inside quotes of the header do not count", arguments: chunkSizes)
    func quotedCandidatesIgnored(chunkSize: Int) throws {
        // Outside quotes: two `,`; inside: three `;` (which would win if quotes were ignored).
        let reader = CSVReader(bytes: Array("\"a;b;c\",\"d;\"\"e\"\"\",g\n1,2;3,4\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ","))
        #expect(try readAll(reader).map(\.fields) == [["a;b;c", "d;\"e\"", "g"], ["1", "2;3", "4"]])
        let reader2 = CSVReader(bytes: Array("\"x,y,z\";\"w,\"\"v\";u\n1;2;3\n".utf8), chunkSize: chunkSize)
        #expect(reader2.delimiter == UInt8(ascii: ";"))
        #expect(try readAll(reader2).map(\.fields) == [["x,y,z", "w,\"v", "u"], ["1", "2", "3"]])
    }

    @Test("The header may contain a quoted line break", arguments: chunkSizes)
    func quotedNewlineInHeader(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("\"first\nname\";last;company,inc\n1;2;3\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(try readAll(reader).map(\.fields) == [["first\nname", "last", "company,inc"], ["1", "2", "3"]])
    }

    @Test("Leading blank lines and a BOM before the header", arguments: chunkSizes)
    func blankLinesBeforeHeader(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("\u{FEFF}\r\n\na;b\n1;2\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(reader.hadByteOrderMark)
        let records = try readAll(reader)
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(records.map(\.line) == [3, 4])
    }

    @Test("Only the header line is looked at", arguments: chunkSizes)
    func onlyHeaderCounts(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("a,b\n1;2;3;4;5\n".utf8), chunkSize: chunkSize)
        #expect(reader.delimiter == UInt8(ascii: ","))
        #expect(try readAll(reader).map(\.fields) == [["a", "b"], ["1;2;3;4;5"]])
    }
}

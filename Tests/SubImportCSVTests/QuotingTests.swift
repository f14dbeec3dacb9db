import SubImportCSV
import Testing

/// RFC 4180 quoting, and the lenient (Python `csv`, strict=False) handling of bad quoting.
@Suite("Quoting")
struct QuotingTests {
    @Test("Plain fields and records", arguments: chunkSizes)
    func plainFields(chunkSize: Int) throws {
        #expect(try rows("a,b,c\n1,2,3\n", chunkSize: chunkSize) == [["a", "b", "c"], ["1", "2", "3"]])
    }

    @Test("Quoted fields may hold the delimiter and doubled quotes", arguments: chunkSizes)
    func quotedDelimiterAndEscapedQuotes(chunkSize: Int) throws {
        let text = "name,company\n\"Dupont, Jean\",\"The \"\"Best\"\" Shop\"\n\"\"\"\",\"a\"\"\"\n"
        #expect(
            try rows(text, chunkSize: chunkSize) == [
                ["name", "company"], ["Dupont, Jean", "The \"Best\" Shop"], ["\"", "a\""],
            ])
    }

    @Test("Empty fields, quoted or not", arguments: chunkSizes)
    func emptyFields(chunkSize: Int) throws {
        #expect(
            try rows("a,b,c\n,\"\",\n\"\",,\"\"\n", chunkSize: chunkSize) == [
                ["a", "b", "c"], ["", "", ""], ["", "", ""],
            ])
    }

    @Test("A quote inside an unquoted field is literal", arguments: chunkSizes)
    func quoteInsideUnquotedField(chunkSize: Int) throws {
        #expect(try rows("a,b\nab\"c,d\"\"e\n", chunkSize: chunkSize) == [["a", "b"], ["ab\"c", "d\"\"e"]])
    }

    @Test("Text after a closing quote is appended, and the field goes on unquoted", arguments: chunkSizes)
    func textAfterClosingQuote(chunkSize: Int) throws {
        #expect(
            try rows("a,b\n\"ab\"c,\"x\"y\"z\n\"q\" ,end\n", chunkSize: chunkSize) == [
                ["a", "b"], ["abc", "xy\"z"], ["q ", "end"],
            ])
    }

    @Test("A quote opens a quoted field only as its first byte", arguments: chunkSizes)
    func leadingSpaceBeforeQuote(chunkSize: Int) throws {
        #expect(try rows("a,b\n \"x,y\"\n", chunkSize: chunkSize) == [["a", "b"], [" \"x", "y\""]])
    }

    @Test("An unterminated quote yields the text read so far, flagged", arguments: chunkSizes)
    func unterminatedQuote(chunkSize: Int) throws {
        let records = try records(Array("a,b\n1,\"xy\nz,\"\"w\n".utf8), chunkSize: chunkSize)
        #expect(records.count == 2)
        #expect(records[0] == CSVRecord(fields: ["a", "b"], line: 1))
        #expect(records[1] == CSVRecord(fields: ["1", "xy\nz,\"w\n"], line: 2, problem: .unterminatedQuote(column: 2)))
    }

    @Test("An unterminated quote right at the end of the file", arguments: chunkSizes)
    func unterminatedEmptyQuote(chunkSize: Int) throws {
        let records = try records(Array("a\n\"".utf8), chunkSize: chunkSize)
        #expect(records.last == CSVRecord(fields: [""], line: 2, problem: .unterminatedQuote(column: 1)))
        #expect(records.last?.problem?.description == "column 1: quoted field is not closed before the end of the file")
    }

    @Test("A closed quote at the end of the file is not a problem", arguments: chunkSizes)
    func closedQuoteAtEnd(chunkSize: Int) throws {
        let records = try records(Array("a,b\n1,\"x\"".utf8), chunkSize: chunkSize)
        #expect(records.last == CSVRecord(fields: ["1", "x"], line: 2, problem: nil))
    }

    @Test("Long quoted fields spanning many chunks", arguments: [1, 7, 64, 4096])
    func longQuotedField(chunkSize: Int) throws {
        let long = String(repeating: "Société \"Générale\", Paris\r\n", count: 2000)
        let text = "a,b\n\"" + long.replacingOccurrences(of: "\"", with: "\"\"") + "\",x\n"
        let records = try records(Array(text.utf8), chunkSize: chunkSize)
        #expect(records.count == 2)
        #expect(records[1].fields == [long, "x"])
        #expect(records[1].problem == nil)
    }
}

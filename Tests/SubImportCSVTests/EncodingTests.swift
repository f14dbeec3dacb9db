import Foundation
import SubImportCSV
import Testing

/// UTF-8 / Windows-1252 decoding, decided field by field, and the byte order mark.
@Suite("Encodings")
struct EncodingTests {
    @Test("UTF-8 text, including characters split across chunks", arguments: chunkSizes)
    func utf8(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("nom;ville\nHélène;Zürich 漢字 🎉\n".utf8), chunkSize: chunkSize)
        let records = try readAll(reader)
        #expect(records.map(\.fields) == [["nom", "ville"], ["Hélène", "Zürich 漢字 🎉"]])
        #expect(records.allSatisfy { $0.problem == nil })
        #expect(reader.encoding == .utf8)
        #expect(reader.encodingSwitchLine == nil)
        #expect(!reader.hadByteOrderMark)
    }

    @Test("A UTF-8 BOM is skipped and reported", arguments: chunkSizes)
    func byteOrderMark(chunkSize: Int) throws {
        let reader = CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("a,b\n1,2\n".utf8), chunkSize: chunkSize)
        #expect(reader.hadByteOrderMark)
        #expect(try readAll(reader).map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(reader.bytesConsumed == 11)
    }

    @Test("A BOM alone is an empty file", arguments: chunkSizes)
    func byteOrderMarkOnly(chunkSize: Int) {
        let reader = CSVReader(bytes: [0xEF, 0xBB, 0xBF], chunkSize: chunkSize)
        #expect(throws: CSVFileError.empty(path: "<memory>")) { try reader.next() }
    }

    @Test("Part of a BOM is not a BOM", arguments: chunkSizes)
    func partialByteOrderMark(chunkSize: Int) throws {
        let reader = CSVReader(bytes: [0xEF, 0xBB, 0x41, 0x0A], chunkSize: chunkSize)
        #expect(!reader.hadByteOrderMark)
        let records = try readAll(reader)
        // EF BB 41 is not UTF-8 and not Windows-1252-undefined: "ï»A" in Windows-1252.
        #expect(records.map(\.fields) == [["ï»A"]])
        #expect(reader.encoding == .windows1252)
    }

    @Test("A Windows-1252 file is decoded as such", arguments: chunkSizes)
    func windows1252File(chunkSize: Int) throws {
        let bytes = windows1252("prenom;nom;societe\r\nJean;Dupont;ACME\r\nHélène;Müller;Société Générale\r\n")
        #expect(bytes.contains(0xE9))  // é is one byte, 0xE9
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        let records = try readAll(reader)
        #expect(
            records.map(\.fields) == [
                ["prenom", "nom", "societe"], ["Jean", "Dupont", "ACME"], ["Hélène", "Müller", "Société Générale"],
            ])
        #expect(records.allSatisfy { $0.problem == nil })
        #expect(reader.encoding == .windows1252)
        #expect(reader.encodingSwitchLine == 3)
    }

    @Test("The whole Windows-1252 table")
    func windows1252Table() throws {
        let defined = (0x80...0xFF).filter { ![0x81, 0x8D, 0x8F, 0x90, 0x9D].contains($0) }.map { UInt8($0) }
        let records = try records(Array("table\n".utf8) + defined + [0x0A])
        let expectedHigh = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
        let latin1 = String(String.UnicodeScalarView((0xA0...0xFF).map { Unicode.Scalar(UInt8($0)) }))
        #expect(records[1].fields == [expectedHigh + latin1])
        #expect(records[1].problem == nil)
        #expect(records[1].fields[0].unicodeScalars.count == defined.count)
    }

    @Test("Bytes undefined in Windows-1252 are undecodable", arguments: [0x81, 0x8D, 0x8F, 0x90, 0x9D] as [UInt8])
    func undefinedWindows1252Bytes(byte: UInt8) throws {
        let bytes = Array("a;b;c\n".utf8) + windows1252("x;Hélène;") + [0x41, byte, 0x42] + [0x0A]
        let records = try records(bytes)
        #expect(records[1].fields == ["x", "Hélène", "A\u{FFFD}B"])
        #expect(records[1].problem == .undecodable(column: 3, encoding: .windows1252))
        #expect(records[1].problem?.description == "column 3: bytes that are not valid Windows-1252 text")
    }

    @Test("UTF-8 in a Windows-1252 file is flagged as mixed, and decoded as UTF-8", arguments: chunkSizes)
    func mixedEncodingInWindows1252File(chunkSize: Int) throws {
        let bytes =
            windows1252("nom;ville\nMüller;Genève\n") + Array("Zoë;Besançon\nabc;déf\n".utf8)
            + windows1252("Noël;Nîmes\n")
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        let records = try readAll(reader)
        #expect(
            records.map(\.fields) == [
                ["nom", "ville"], ["Müller", "Genève"], ["Zoë", "Besançon"], ["abc", "déf"], ["Noël", "Nîmes"],
            ])
        #expect(records.map(\.problem) == [nil, nil, .mixedEncoding(column: 1), .mixedEncoding(column: 2), nil])
        #expect(reader.encoding == .windows1252)
        #expect(reader.encodingSwitchLine == 2)
    }

    @Test("Invalid UTF-8 after UTF-8 was seen is undecodable, the file stays UTF-8", arguments: chunkSizes)
    func invalidUTF8InUTF8File(chunkSize: Int) throws {
        let bytes = Array("nom;ville\nZoë;Besançon\n".utf8) + windows1252("Müller;Genève\n") + Array("ok;ß\n".utf8)
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        let records = try readAll(reader)
        #expect(
            records.map(\.fields) == [
                ["nom", "ville"], ["Zoë", "Besançon"], ["M\u{FFFD}ller", "Gen\u{FFFD}ve"], ["ok", "ß"],
            ])
        #expect(records.map(\.problem) == [nil, nil, .undecodable(column: 1, encoding: .utf8), nil])
        #expect(reader.encoding == .utf8)
        #expect(reader.encodingSwitchLine == nil)
    }

    @Test("A BOM is evidence of UTF-8: no switch to Windows-1252 afterwards")
    func byteOrderMarkPreventsSwitch() throws {
        let reader = CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("a\n".utf8) + windows1252("é\n"))
        let records = try readAll(reader)
        #expect(
            records[1] == CSVRecord(fields: ["\u{FFFD}"], line: 2, problem: .undecodable(column: 1, encoding: .utf8)))
        #expect(reader.encoding == .utf8)
    }

    @Test("The switch can happen in the middle of a record; the first problem is kept", arguments: chunkSizes)
    func switchMidRecord(chunkSize: Int) throws {
        let bytes =
            Array("a,b,c,d\n1,2,".utf8) + windows1252("€uro,") + Array("ü".utf8) + [0x0A]
            + windows1252("x,y,z,") + [0x81] + [0x0A]
        let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
        let parsed = try readAll(reader)
        #expect(parsed[1] == CSVRecord(fields: ["1", "2", "€uro", "ü"], line: 2, problem: .mixedEncoding(column: 4)))
        #expect(
            parsed[2]
                == CSVRecord(
                    fields: ["x", "y", "z", "\u{FFFD}"], line: 3,
                    problem: .undecodable(column: 4, encoding: .windows1252)))
        #expect(reader.encodingSwitchLine == 2)

        // Two problems in one record: the first (leftmost) one is kept.
        let twice = Array("a,b\n".utf8) + [0xC3, 0xA9, 0x2C, 0xFF, 0x0A] + [0xE9, 0x2C, 0x22, 0x61]
        let flagged = try records(twice, chunkSize: chunkSize)
        #expect(
            flagged[1]
                == CSVRecord(fields: ["é", "\u{FFFD}"], line: 2, problem: .undecodable(column: 2, encoding: .utf8)))
        // Column 1 is undecodable and column 2 an unterminated quote: column 1's problem is kept.
        #expect(
            flagged[2]
                == CSVRecord(fields: ["\u{FFFD}", "a"], line: 3, problem: .undecodable(column: 1, encoding: .utf8)))
    }

    @Test("Malformed UTF-8 forms are never accepted as UTF-8")
    func malformedUTF8() throws {
        let malformed: [[UInt8]] = [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC3], [0xE2, 0x82], [0x80], [0xFF],
        ]
        for bytes in malformed {
            // After UTF-8 evidence ("é"), any malformed field is `.undecodable(.utf8)`.
            let records = try records(Array("é\n".utf8) + bytes + [0x0A])
            #expect(records[1].problem == .undecodable(column: 1, encoding: .utf8), "bytes \(bytes)")
            #expect(String(bytes: bytes, encoding: .utf8) == nil, "Foundation agrees that \(bytes) is invalid")
        }
        let wellFormed: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for bytes in wellFormed {
            let records = try records(Array("é\n".utf8) + bytes + [0x0A])
            #expect(records[1].problem == nil, "bytes \(bytes)")
            #expect(records[1].fields == [String(decoding: bytes, as: UTF8.self)])
        }
    }

    @Test("Random fields: the reader's UTF-8 validity agrees with Foundation's")
    func utf8ValidityAgreesWithFoundation() throws {
        var random = SeededGenerator(seed: 7)
        let interesting: [UInt8] = [
            0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<2000 {
            let field = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                interesting.randomElement(using: &random)!
            }
            let records = try records(Array("é\n".utf8) + field + [0x0A])
            let valid = String(bytes: field, encoding: .utf8) != nil
            #expect((records[1].problem == nil) == valid, "field \(field)")
        }
    }

    @Test("A real Windows-1252 export, read from a file")
    func windows1252Fixture() throws {
        let reader = try CSVReader(path: try fixtureURL("windows-1252.csv").path, chunkSize: 5)
        let records = try readAll(reader)
        #expect(
            records.map(\.fields) == [
                ["first_name", "last_name", "company_name"], ["Jean", "Dupont", "ACME"],
                ["Hélène", "Müller", "Société Générale"], ["Zoë", "O’Brien", "Œuvres “Noël” – 50 €"],
            ])
        #expect(records.allSatisfy { $0.problem == nil })
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(reader.encoding == .windows1252)
        #expect(reader.encodingSwitchLine == 3)
    }

    @Test("A UTF-8 export with a BOM, read from a file")
    func utf8BOMFixture() throws {
        let reader = try CSVReader(path: try fixtureURL("utf-8-bom.csv").path, chunkSize: 2)
        #expect(reader.hadByteOrderMark)
        #expect(
            try readAll(reader).map(\.fields) == [
                ["first_name", "last_name", "company_name"], ["Hélène", "Müller", "Société Générale, Paris"],
            ])
        #expect(reader.encoding == .utf8)
    }
}

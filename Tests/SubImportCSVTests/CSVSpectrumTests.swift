import Foundation
import SubImportCSV
import Testing

/// The csv-spectrum acid tests (Fixtures/csv-spectrum, see its ORIGIN.txt): every CSV must
/// read as its JSON says (records as objects keyed by the header row).
@Suite("csv-spectrum")
struct CSVSpectrumTests {
    static let names = [
        "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "location_coordinates", "newlines",
        "newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf", "utf8",
    ]

    /// Errata of this copy of the data, documented in ORIGIN.txt.
    static let lostCRLF: Set = ["empty_crlf", "newlines_crlf", "simple_crlf"]
    static let jsonOverrides = ["location_coordinates": ["Contact Phone Number": "2095257564"]]

    @Test("Every csv-spectrum file is covered")
    func allFilesCovered() throws {
        let directory = try fixtureURL("csv-spectrum/csvs")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".csv") }
        #expect(Set(files.map { String($0.dropLast(4)) }) == Set(Self.names))
        let origin = try String(contentsOf: try fixtureURL("csv-spectrum/ORIGIN.txt"), encoding: .utf8)
        #expect(origin.contains("BSD-2-Clause"))
    }

    @Test("csv-spectrum file reads as its JSON says", arguments: names)
    func spectrum(name: String) throws {
        let csv = try [UInt8](Data(contentsOf: try fixtureURL("csv-spectrum/csvs/\(name).csv")))
        var expected = try Self.expectedObjects(name)
        for (key, value) in Self.jsonOverrides[name] ?? [:] {
            expected = expected.map {
                var object = $0
                object[key] = value
                return object
            }
        }
        if Self.lostCRLF.contains(name) {
            #expect(!csv.contains(0x0D), "\(name) has CRs again: drop it from the errata")
            // As stored: LF line breaks everywhere, also inside the quoted field.
            let asStored = expected.map { $0.mapValues { $0.replacingOccurrences(of: "\r\n", with: "\n") } }
            for chunkSize in chunkSizes {
                #expect(
                    try Self.objects(csv, chunkSize: chunkSize) == asStored, "\(name) as stored, chunk \(chunkSize)")
            }
            // As published upstream: CRLF everywhere; the JSON then holds verbatim.
            var restored: [UInt8] = []
            for byte in csv {
                if byte == 0x0A { restored.append(0x0D) }
                restored.append(byte)
            }
            for chunkSize in chunkSizes {
                #expect(
                    try Self.objects(restored, chunkSize: chunkSize) == expected, "\(name) CRLF, chunk \(chunkSize)")
            }
        } else {
            for chunkSize in chunkSizes {
                #expect(try Self.objects(csv, chunkSize: chunkSize) == expected, "\(name), chunk \(chunkSize)")
            }
        }
        // Through the file API as well.
        let reader = try CSVReader(path: try fixtureURL("csv-spectrum/csvs/\(name).csv").path, chunkSize: 3)
        #expect(try readAll(reader).allSatisfy { $0.problem == nil })
        #expect(reader.encoding == .utf8)
    }

    /// The records after the header, as objects keyed by the header's fields.
    static func objects(_ bytes: [UInt8], chunkSize: Int) throws -> [[String: String]] {
        let records = try records(bytes, chunkSize: chunkSize)
        guard let header = records.first?.fields else { return [] }
        return records.dropFirst().map { record in
            #expect(record.fields.count == header.count)
            #expect(record.problem == nil)
            return Dictionary(uniqueKeysWithValues: zip(header, record.fields))
        }
    }

    /// The JSON file: an array of objects (or, for one erratum, a single object).
    static func expectedObjects(_ name: String) throws -> [[String: String]] {
        let data = try Data(contentsOf: try fixtureURL("csv-spectrum/json/\(name).json"))
        let json = try JSONSerialization.jsonObject(with: data)
        if let array = json as? [[String: String]] { return array }
        if let object = json as? [String: String] { return [object] }
        throw FixtureMissing(path: "csv-spectrum/json/\(name).json (unexpected JSON shape)")
    }
}

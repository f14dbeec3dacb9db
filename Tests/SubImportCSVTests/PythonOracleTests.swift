import Foundation
import SubImportCSV
import Testing

/// Compares CSVReader with Python's `csv` module (default dialect, strict=False) on a few
/// hundred generated documents: valid ones, lenient (badly quoted) ones, with a BOM, and
/// Windows-1252 ones. Fields and the physical start line of every record must agree.
///
/// Requires `python3` on the PATH (it is on developer machines and in CI); without it the
/// test fails, it never passes silently.
@Suite("Python csv oracle")
struct PythonOracleTests {
    /// Reads each job's file with Python's csv module; prints, per file, the non-blank rows as
    /// [start line, fields]. (Python returns blank lines as [] rows: skipped, but counted.)
    static let script = """
        import csv, json, sys
        results = []
        for job in json.load(open(sys.argv[1], encoding="utf-8")):
            rows = []
            with open(job["path"], newline="", encoding=job["encoding"]) as handle:
                reader = csv.reader(handle, delimiter=job["delimiter"], strict=False)
                previous = 0
                for row in reader:
                    if row:
                        rows.append([previous + 1, row])
                    previous = reader.line_num
            results.append(rows)
        json.dump(results, sys.stdout)
        """

    struct Job: Codable {
        var path: String
        var delimiter: String
        var encoding: String
    }

    struct Case {
        var name: String
        var bytes: [UInt8]
        var delimiter: UInt8
        var pythonEncoding: String
        var expectedEncoding: CSVEncoding
        /// Whether the last record is an unterminated quoted field.
        var unterminated = false
    }

    @Test("CSVReader agrees with Python's csv module")
    func agreesWithPython() throws {
        let cases = Self.cases()
        #expect(cases.count >= 300)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var jobs: [Job] = []
        for (index, testCase) in cases.enumerated() {
            let path = try directory.write(testCase.bytes, named: "doc-\(index).csv")
            jobs.append(
                Job(path: path, delimiter: String(UnicodeScalar(testCase.delimiter)), encoding: testCase.pythonEncoding)
            )
        }
        let manifest = try directory.write(Array(try JSONEncoder().encode(jobs)), named: "jobs.json")
        let expected = try Self.runPython(arguments: [manifest], in: directory)
        try #require(
            expected.count == cases.count, "python3 returned \(expected.count) results for \(cases.count) files")

        var compared = 0
        for (testCase, pythonRows) in zip(cases, expected) {
            for chunkSize in [Int.max, 1, 5] {
                let reader = CSVReader(bytes: testCase.bytes, name: testCase.name, chunkSize: chunkSize)
                let records = try readAll(reader)
                let context =
                    "\(testCase.name), chunk size \(chunkSize): \(String(decoding: testCase.bytes, as: UTF8.self).debugDescription)"
                #expect(records.map(\.fields) == pythonRows.map(\.fields), "\(context)")
                #expect(records.map(\.line) == pythonRows.map(\.line), "\(context)")
                #expect(reader.delimiter == testCase.delimiter, "\(context)")
                #expect(reader.encoding == testCase.expectedEncoding, "\(context)")
                for (index, record) in records.enumerated() {
                    let isLast = index == records.count - 1
                    if testCase.unterminated && isLast {
                        #expect(record.problem == .unterminatedQuote(column: record.fields.count), "\(context)")
                    } else {
                        #expect(record.problem == nil, "\(context)")
                    }
                }
            }
            compared += pythonRows.count
        }
        #expect(compared > 1000)
    }

    @Test("The Windows-1252 table agrees with Python's cp1252 codec")
    func windows1252TableAgreesWithPython() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let defined = (0x80...0xFF).map { UInt8($0) }.filter { ![0x81, 0x8D, 0x8F, 0x90, 0x9D].contains($0) }
        let path = try directory.write(Array("table\n".utf8) + defined + [0x0A], named: "table.csv")
        let job = Job(path: path, delimiter: ",", encoding: "cp1252")
        let manifest = try directory.write(Array(try JSONEncoder().encode([job])), named: "jobs.json")
        let expected = try Self.runPython(arguments: [manifest], in: directory)
        let reader = try CSVReader(path: path)
        let records = try readAll(reader)
        #expect(records.map(\.fields) == expected.first?.map(\.fields))
        #expect(reader.encoding == .windows1252)
    }

    // MARK: - Documents

    static func cases() -> [Case] {
        var cases: [Case] = []
        var generator = DocumentGenerator(seed: 2024)
        generator.minColumns = 2
        generator.delimiters = [UInt8(ascii: ","), UInt8(ascii: ";")]
        for index in 0..<200 {
            let document = generator.document()
            cases.append(
                Case(
                    name: "valid-\(index)", bytes: document.bytes, delimiter: document.delimiter,
                    pythonEncoding: "utf-8", expectedEncoding: .utf8))
        }
        for index in 0..<30 {
            var document = generator.document()
            document.bytes = [0xEF, 0xBB, 0xBF] + document.bytes
            cases.append(
                Case(
                    name: "bom-\(index)", bytes: document.bytes, delimiter: document.delimiter,
                    pythonEncoding: "utf-8-sig", expectedEncoding: .utf8))
        }
        var random = SeededGenerator(seed: 77)
        for index in 0..<60 {
            let (text, delimiter, unterminated) = lenientDocument(using: &random)
            cases.append(
                Case(
                    name: "lenient-\(index)", bytes: Array(text.utf8), delimiter: delimiter, pythonEncoding: "utf-8",
                    expectedEncoding: .utf8, unterminated: unterminated))
        }
        // Windows-1252: every non-ASCII character is followed by an ASCII one, so no field can
        // happen to be valid UTF-8 (which would rightly be flagged as mixed).
        var latin = DocumentGenerator(seed: 1252)
        latin.minColumns = 2
        latin.delimiters = [UInt8(ascii: ";"), UInt8(ascii: ",")]
        latin.alphabet = ["a", "Z", "1", " ", "éa", "èb", "àc", "çd", "üe", "Éf", "€g", "’h", "œi", "«j", "ÿk", "Œl"]
        for index in 0..<40 {
            let document = latin.document()
            let text = String(decoding: document.bytes, as: UTF8.self)
            let hasNonASCII = document.bytes.contains { $0 >= 0x80 }
            cases.append(
                Case(
                    name: "cp1252-\(index)", bytes: windows1252(text), delimiter: document.delimiter,
                    pythonEncoding: "cp1252", expectedEncoding: hasNonASCII ? .windows1252 : .utf8))
        }
        return cases
    }

    /// A document with quoting that is not RFC 4180 but that Python reads anyway: quotes in
    /// unquoted fields, text after closing quotes, and sometimes an unterminated last field.
    static func lenientDocument(using random: inout SeededGenerator) -> (String, UInt8, Bool) {
        let delimiter = [",", ";"].randomElement(using: &random)!
        let tokens = [
            "plain", "ab\"c", "\"ab\"c", "\"a\"\"b\"c\"d", "\"q\" ", "x\"\"y", "\"\"z", "\"in\(delimiter)side\"tail",
            "", "\"\"", "é\"ü", "\"multi\nline\"after", "a\"b\"c",
        ]
        let columns = Int.random(in: 2...4, using: &random)
        var lines = [(0..<columns).map { "c\($0)" }.joined(separator: delimiter)]
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            lines.append((0..<columns).map { _ in tokens.randomElement(using: &random)! }.joined(separator: delimiter))
        }
        let ending = ["\n", "\r\n", "\r"].randomElement(using: &random)!
        var text = lines.joined(separator: ending)
        let unterminated = Bool.random(using: &random)
        if unterminated {
            text += ending + (0..<columns - 1).map { _ in "v" }.joined(separator: delimiter) + delimiter
            text += "\"open \(delimiter) field\(ending)still open"
        } else if Bool.random(using: &random) {
            text += ending
        }
        return (text, UInt8(ascii: delimiter.unicodeScalars.first!), unterminated)
    }

    // MARK: - Python

    struct PythonRow: Decodable {
        var line: Int
        var fields: [String]

        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            line = try container.decode(Int.self)
            fields = try container.decode([String].self)
        }
    }

    struct PythonUnavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the oracle script with `python3` from the PATH.
    static func runPython(arguments: [String], in directory: TemporaryDirectory) throws -> [[PythonRow]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        let errorPath = directory.url.appendingPathComponent("python-stderr.txt")
        try Data().write(to: errorPath)
        process.standardError = try FileHandle(forWritingTo: errorPath)
        do {
            try process.run()
        } catch {
            throw PythonUnavailable(
                description: "cannot run /usr/bin/env python3 (\(error)); the oracle test needs python3")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errorPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw PythonUnavailable(
                    description: "python3 was not found on the PATH; the Python csv oracle test needs it (\(errors))")
            }
            throw PythonUnavailable(description: "python3 failed with status \(process.terminationStatus): \(errors)")
        }
        return try JSONDecoder().decode([[PythonRow]].self, from: data)
    }
}

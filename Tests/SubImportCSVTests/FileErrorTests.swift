import Foundation
import SubImportCSV
import Testing

/// Whole-file failures: binary content, no header row, files that cannot be opened or read.
@Suite("File errors")
struct FileErrorTests {
    @Test("A NUL byte makes the file binary, reported with its line", arguments: chunkSizes)
    func nulByte(chunkSize: Int) throws {
        let reader = CSVReader(bytes: Array("a,b\n1,2\n\n3,x\0y\n4,5\n".utf8), name: "in.csv", chunkSize: chunkSize)
        #expect(try reader.next()?.fields == ["a", "b"])
        #expect(try reader.next()?.fields == ["1", "2"])
        let error = #expect(throws: CSVFileError.self) { try reader.next() }
        #expect(error == CSVFileError.binary(path: "in.csv", line: 4))
        #expect(error?.line == 4)
        #expect(error?.description == "in.csv: line 4: NUL byte found; this is a binary file, not CSV text")
        // The error sticks.
        #expect(throws: CSVFileError.binary(path: "in.csv", line: 4)) { try reader.next() }
    }

    @Test("A NUL byte anywhere: quoted field, field start, blank line, after a quote", arguments: chunkSizes)
    func nulEverywhere(chunkSize: Int) {
        let cases: [(String, Int)] = [
            ("a\n\"x\ny\0\"\n", 3), ("a,b\n\0,1\n", 2), ("a\n\r\n\0", 3), ("a\n\"x\"\0\n", 2), ("\0a,b\n", 1),
            ("a\r\"\r\n\0\"", 3),
        ]
        for (text, line) in cases {
            #expect(throws: CSVFileError.binary(path: "<memory>", line: line), "\(text.debugDescription)") {
                try records(Array(text.utf8), chunkSize: chunkSize)
            }
        }
    }

    @Test("No record at all: empty input, only blank lines", arguments: chunkSizes)
    func emptyInput(chunkSize: Int) {
        for text in ["", "\n", "\r\n\r\n", "\r\r\n\n"] {
            let reader = CSVReader(bytes: Array(text.utf8), name: "e.csv", chunkSize: chunkSize)
            #expect(throws: CSVFileError.empty(path: "e.csv")) { try reader.next() }
        }
    }

    @Test("An empty file fails at opening, with a message naming it")
    func emptyFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(Array("\r\n\n".utf8), named: "empty.csv")
        let error = #expect(throws: CSVFileError.self) { try CSVReader(path: path) }
        #expect(error?.kind == .empty(path: path))
        #expect(error?.description == "\(path): line 1: the file is empty, there is no header row")
    }

    @Test("A missing file cannot be opened")
    func missingFile() {
        let path = "/nonexistent/dir/subimport-\(UUID().uuidString).csv"
        let error = #expect(throws: CSVFileError.self) { try CSVReader(path: path) }
        #expect(error?.kind == .cannotOpen(path: path, reason: "No such file or directory"))
        #expect(error?.description == "\(path): cannot open the file: No such file or directory")
        #expect(error?.path == path)
        #expect(error?.line == nil)
    }

    @Test("A directory cannot be read")
    func directory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = #expect(throws: CSVFileError.self) { try CSVReader(path: directory.url.path) }
        guard case .readFailed(let path, let reason) = error?.kind else {
            Issue.record("expected readFailed, got \(String(describing: error))")
            return
        }
        #expect(path == directory.url.path)
        #expect(reason == "Is a directory")
        #expect(error?.description.hasPrefix("\(path): reading the file failed: ") == true)
    }
}

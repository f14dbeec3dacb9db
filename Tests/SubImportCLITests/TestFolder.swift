import Foundation
import SubImportSandbox

/// A fresh temporary folder for one test.
final class TestFolder: @unchecked Sendable {
    let path: String

    init(_ name: String = #function) {
        path =
            NSTemporaryDirectory() + "subimport-cli-tests/\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        try! Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Master credentials the default sandbox accepts (any non-empty pair).
let sandboxCredentials = ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": "k"]

/// A sandbox with `latencyMs` per answer and no quota, for runs that must still be in flight
/// when a test interrupts them.
func slowSandbox(latencyMs: Int) async throws -> SandboxServer {
    var configuration = SandboxConfiguration()
    configuration.latencyMs = latencyMs
    configuration.quota = 0
    return try await SandboxServer.start(configuration)
}

/// `count` valid, distinct Octopush rows with a header.
func validRows(_ count: Int) -> String {
    (["first_name,last_name,password,company_name"]
        + (1...count).map { "Person\($0),Lastname\($0),secret-\($0)-pw,Company \($0)" }).joined(separator: "\n") + "\n"
}

/// Parses a report CSV written by subimport (no embedded newlines in the test data).
func reportRows(_ path: String) throws -> [[String: String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    let header = lines.removeFirst().components(separatedBy: ",")
    return lines.map { line in
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var previous: Character?
        for character in line {
            if character == "\"" {
                if quoted && previous == "\"" { cell.append("\"") }
                quoted.toggle()
            } else if character == "," && !quoted {
                cells.append(cell)
                cell = ""
            } else {
                cell.append(character)
            }
            previous = character
        }
        cells.append(cell)
        return Dictionary(uniqueKeysWithValues: zip(header, cells))
    }
}

/// The report CSV paths printed by an import.
func reportPaths(in stdout: String) -> [String] {
    stdout.components(separatedBy: "\n").compactMap { line in
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("report: ") ? String(trimmed.dropFirst("report: ".count)) : nil
    }
}

import Foundation
import Testing

/// `samples/subimport-watch.service`: systemd accepts it, and it says what the README promises.
@Suite struct ServiceUnitTests {
    static let unitPath = CLI.packageRoot.appendingPathComponent("samples/subimport-watch.service").path
    static let analyzer = "/usr/bin/systemd-analyze"

    /// The unit's `Key=value` lines (continuation lines joined).
    func settings() throws -> [(String, String)] {
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8).replacingOccurrences(
            of: "\\\n", with: " ")
        return text.components(separatedBy: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    func value(_ key: String) throws -> String? { try settings().first { $0.0 == key }?.1 }

    @Test func unitHasTheSandboxingRestartAndAStopTimeoutAboveTheShutdownTimeout() throws {
        #expect(try value("Restart") == "on-failure")
        #expect(try value("KillSignal") == "SIGTERM")
        #expect(try value("ProtectSystem") == "strict")
        #expect(try value("NoNewPrivileges") == "yes")
        #expect(try value("PrivateTmp") == "yes")
        #expect(try value("EnvironmentFile") == "/etc/subimport/credentials.env")
        let command = try #require(try value("ExecStart")).split(separator: " ").map(String.init)
        let writable = try #require(try value("ReadWritePaths")).split(separator: " ").map(String.init)
        for flag in ["--inbox", "--state", "--reports"] {
            let index = try #require(command.firstIndex(of: flag))
            #expect(writable.contains(command[index + 1]), "\(flag) must be writable")
        }
        let shutdown = try #require(command.firstIndex(of: "--shutdown-timeout").flatMap { Double(command[$0 + 1]) })
        let stop = try #require(try value("TimeoutStopSec").flatMap(Double.init))
        #expect(stop > shutdown)
    }

    @Test func theBinaryAcceptsTheUnitsCommandLine() async throws {
        let folder = TestFolder()
        var arguments = try #require(try value("ExecStart")).split(separator: " ").map(String.init).dropFirst()
            .map { $0.hasPrefix("/") ? folder.file(($0 as NSString).lastPathComponent) : $0 }
        arguments += ["--sandbox"]
        let watch = try CLI.Running(arguments)
        #expect(await waitUntil(timeout: 20) { watch.stderr.contains("\"message\": \"watching ") }, "\(watch.stderr)")
        watch.process.terminate()
        let output = await watch.finish(timeout: 30)
        #expect(output.status == 0, "\(output.stderr)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer)))
    func systemdAnalyzeVerifiesItWithTheRealBinary() throws {
        let folder = TestFolder()
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/subimport", with: CLI.executable.path)
        let copy = folder.write("subimport-watch.service", text)
        let (status, output) = try runTool(Self.analyzer, ["verify", copy])
        #expect(status == 0, "\(output)")
        #expect(output.isEmpty, "\(output)")
    }
}

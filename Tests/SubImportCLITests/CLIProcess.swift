import Foundation

/// Runs the real `subimport` binary built next to the test bundle.
enum CLI {
    /// The package root (two folders above this file's folder).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var executable: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("subimport"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("subimport"),
            packageRoot.appendingPathComponent(".build/debug/subimport"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started process whose output is collected to temporary files.
    final class Running: @unchecked Sendable {
        let process = Process()
        let outPath: String
        let errPath: String

        /// Starts `subimport arguments…`, or `wrapper… subimport arguments…` (a program that runs
        /// it, such as `/usr/bin/time`).
        init(
            _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
            wrapper: [String] = []
        ) throws {
            let base = NSTemporaryDirectory() + "subimport-cli-\(UUID().uuidString)"
            outPath = base + ".out"
            errPath = base + ".err"
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            if let program = wrapper.first {
                process.executableURL = URL(fileURLWithPath: program)
                process.arguments = Array(wrapper.dropFirst()) + [CLI.executable.path] + arguments
            } else {
                process.executableURL = CLI.executable
                process.arguments = arguments
            }
            var env = ProcessInfo.processInfo.environment
            for key in ["OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY", "SMSPARTNER_API_KEY"] { env[key] = nil }
            for (key, value) in environment { env[key] = value }
            process.environment = env
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            try process.run()
        }

        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

        /// Waits for the process to exit (terminating it after `timeout` seconds) and returns its
        /// output. Awaits without blocking a thread.
        func finish(timeout: Double = 120) async -> Output {
            let exited = await waitUntil(timeout: timeout) { !self.process.isRunning }
            if !exited {
                process.terminate()
                _ = await waitUntil(timeout: 10) { !self.process.isRunning }
            }
            let output = Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            return output
        }
    }

    /// Runs `subimport arguments…` to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws
        -> Output
    {
        try await Running(arguments, environment: environment, directory: directory).finish()
    }
}

/// Waits until `condition` holds, checking every 10 ms, for at most `timeout` seconds, without
/// blocking a thread. Returns whether it held.
func waitUntil(timeout: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return try condition()
}

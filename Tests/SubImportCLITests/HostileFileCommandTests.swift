import Foundation
import Testing

/// The real binary on hostile CSV files: bounded memory, and no input echoed beyond a short
/// prefix, never a password.
@Suite struct HostileFileCommandTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    @Test func aFileWithoutAHeaderRowIsRefusedWithoutQuotingItsPasswords() async throws {
        let file = folder.write("no-header.csv", "Marie,Curie,Sup3rSecretPassw0rd,Sorbonne\n")
        let output = try await CLI.run(["enqueue", file] + stateArguments)
        #expect(output.status == 2)
        #expect(output.stderr.contains("no-header.csv"))
        #expect(output.stderr.contains("is the header row missing?"))
        #expect(!(output.stdout + output.stderr).contains("Sup3rSecret"))
    }

    /// Runs `subimport arguments…` to completion and returns its output with its peak resident
    /// size in MiB (`VmHWM` of /proc, read until it exits).
    func runMeasuringPeak(_ arguments: [String]) async throws -> (CLI.Output, peakMiB: Int) {
        let running = try CLI.Running(arguments)
        let status = "/proc/\(running.process.processIdentifier)/status"
        var peakKiB = 0
        _ = await waitUntil(timeout: 120) {
            if let text = try? String(contentsOfFile: status, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peakKiB = max(peakKiB, kib)
            }
            return !running.process.isRunning
        }
        return (await running.finish(), peakKiB / 1024)
    }

    @Test func aHugeQuotedFieldAndAHugeHeaderCellStayInBoundedMemory() async throws {
        let fieldSize = 48 << 20
        let path = folder.file("hostile.csv")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data("first_name,last_name,password,company_name\n".utf8))
        try handle.write(contentsOf: Data("Marie,Curie,radium1898,\"".utf8))
        let block = Data(String(repeating: "0123456789\"\"\n", count: 1 << 16).utf8)
        var written = 0
        while written < fieldSize {
            try handle.write(contentsOf: block)
            written += block.count
        }
        try handle.write(contentsOf: Data("\"\nPierre,Curie,polonium1898,\n".utf8))
        try handle.close()
        let (output, peakMiB) = try await runMeasuringPeak(["enqueue", path] + stateArguments)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("2 rows, 1 to send, 1 invalid"), "\(output.stdout)")
        // Reading the field whole would take well over its 48 MiB (buffer, String, JSON).
        #expect(peakMiB > 0 && peakMiB <= 64, "peak RSS of `subimport enqueue`: \(peakMiB) MiB")
        #expect(output.stdout.utf8.count + output.stderr.utf8.count < 4096)

        let header = folder.file("huge-header.csv")
        _ = FileManager.default.createFile(atPath: header, contents: nil)
        let headerHandle = try #require(FileHandle(forWritingAtPath: header))
        try headerHandle.write(contentsOf: Data("first_name,last_name,password,".utf8))
        let cell = Data(String(repeating: "x", count: 1 << 20).utf8)
        for _ in 0..<32 { try headerHandle.write(contentsOf: cell) }
        try headerHandle.write(contentsOf: Data("\nMarie,Curie,radium1898\n".utf8))
        try headerHandle.close()
        let (refused, refusedPeakMiB) = try await runMeasuringPeak(["enqueue", header] + stateArguments)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("record longer than 65536 bytes"))
        #expect(refused.stdout.utf8.count + refused.stderr.utf8.count < 4096)
        #expect(refusedPeakMiB > 0 && refusedPeakMiB <= 64, "peak RSS of `subimport enqueue`: \(refusedPeakMiB) MiB")
    }
}

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

    /// Runs `subimport arguments…` to completion under GNU time (`/usr/bin/time`, which
    /// `.ci/run` installs) and returns its output with its peak resident size in MiB, as the
    /// kernel counted it for that process (`ru_maxrss`): no sampling, so no run is too short to
    /// be measured.
    func runMeasuringPeak(_ arguments: [String]) async throws -> (CLI.Output, peakMiB: Int) {
        let peakFile = folder.file("peak-\(UUID().uuidString).txt")
        let running = try CLI.Running(arguments, wrapper: [Self.gnuTime, "-f", "%M", "-o", peakFile])
        let output = await running.finish()
        let text = (try? String(contentsOfFile: peakFile, encoding: .utf8)) ?? ""
        let kib = text.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.last
        return (output, (kib ?? 0) / 1024)
    }

    static let gnuTime = "/usr/bin/time"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnuTime), "needs GNU time (Debian's `time`)"))
    func aHugeQuotedFieldAndAHugeHeaderCellStayInBoundedMemory() async throws {
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

import Foundation

/// Runs an installed tool (`promtool`, `systemd-analyze`) to completion: its exit status and its
/// standard output and error together. `input` is a file fed to its standard input.
func runTool(_ path: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let input { process.standardInput = FileHandle(forReadingAtPath: input) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, said)
}

import ArgumentParser
import Foundation
import SubImport

#if canImport(Glibc)
    import Glibc
#endif

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Rewrite the report files of a batch and print its CSV report.")

    @OptionGroup var paths: StateOptions

    @OptionGroup var log: LogOptions

    @Option(
        help:
            "Print only the rows with these statuses, like failed,uncertain: an aligned table on a terminal, CSV otherwise (the report files stay complete)."
    )
    var status: StatusList?

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func run() throws {
        let (store, found) = try paths.openBatch(batch)
        let writer = ReportWriter(store: store, directory: paths.reports)
        let report = try writer.write(batchID: found.id)
        if let status {
            let rows = try writer.rows(batchID: found.id, statuses: Set(status.statuses))
            if isatty(STDOUT_FILENO) == 1 {
                print(ReportTable(rows: rows).text, terminator: "")
            } else {
                print(([ReportWriter.csvColumns] + rows).map(ReportWriter.csvLine).joined(separator: "\r\n"))
            }
        } else {
            try copyToStandardOutput(report.csvPath)
        }
        printError("report: \(report.csvPath) and \(report.jsonPath)")
    }

    /// Copies the file at `path` to standard output 1 MiB at a time (a million-row report is
    /// never held in memory).
    private func copyToStandardOutput(_ path: String) throws {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            FileHandle.standardOutput.write(chunk)
        }
    }
}

/// Report rows as an aligned table for a terminal: every column but `api_key`, long cells cut.
struct ReportTable {
    let rows: [[String]]
    /// Cells longer than this are cut with `…`.
    static let widest = 48

    var text: String {
        let shown = ReportWriter.csvColumns.indices.filter { ReportWriter.csvColumns[$0] != "api_key" }
        let lines = [shown.map { ReportWriter.csvColumns[$0] }] + rows.map { row in shown.map { Self.cut(row[$0]) } }
        let widths = shown.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }.joined() + "\(rows.count) row(s)\n"
    }

    private static func cut(_ cell: String) -> String {
        let flat = cell.replacingOccurrences(of: "\n", with: " ")
        return flat.count > widest ? String(flat.prefix(widest - 1)) + "…" : flat
    }
}

import ArgumentParser
import Foundation
import SubImport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Rewrite the report files of a batch and print its CSV report.")

    @OptionGroup var paths: StateOptions

    @Argument(help: "Batch id (or a unique prefix of it).")
    var batch: String

    func run() throws {
        let (store, found) = try paths.openBatch(batch)
        let report = try ReportWriter(store: store, directory: paths.reports).write(batchID: found.id)
        FileHandle.standardOutput.write(try Data(contentsOf: URL(fileURLWithPath: report.csvPath)))
        printError("report: \(report.csvPath) and \(report.jsonPath)")
    }
}

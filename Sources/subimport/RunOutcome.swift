import ArgumentParser
import SubImport

/// Writes the reports of a run, prints its summary and returns the exit code of PRODUCT.md:
/// 0 every row created (duplicates of created rows count as created), 1 some rows not created,
/// 2 an unreadable file, 3 stopped by a fatal provider answer or a queue database that could not
/// be written, 130 interrupted by a signal.
func finishRun(
    session: ImportSession, batchIDs: [String], result: WorkResult?, hadUnreadable: Bool, dryRun: Bool = false
) throws -> ExitCode {
    if let failure = session.storeFailure {
        // Reports are written when the database can still be read; the answers are in the journal.
        _ = try? session.writeReports(batchIDs: batchIDs)
        printError("stopped: \(failure)")
        return ExitCode(3)
    }
    let reports = try session.writeReports(batchIDs: batchIDs)
    var allCreated = true
    for (batchID, report) in zip(batchIDs, reports) {
        print("batch \(batchID): \(ReportWriter.countsText(report.counts))")
        print("  report: \(report.csvPath)")
        print("          \(report.jsonPath)")
        let notCreated = report.counts.filter { !["created", "updated", "duplicate"].contains($0.key) && $0.value > 0 }
        if !notCreated.isEmpty { allCreated = false }
    }
    if dryRun {
        print("dry run: nothing was sent")
        return hadUnreadable
            ? ExitCode(2) : (reports.allSatisfy { ($0.counts["invalid"] ?? 0) == 0 } ? .success : .failure)
    }
    if let fatal = result?.fatalStop {
        printError(
            "stopped: the provider answered \(fatal). The remaining rows are kept pending; fix the cause and run the same command again (or `subimport retry BATCH`)."
        )
        return ExitCode(3)
    }
    if result?.interrupted == true {
        printError("interrupted: the remaining rows are kept pending; run the same command again to resume.")
        return ExitCode(130)
    }
    if hadUnreadable { return ExitCode(2) }
    return allCreated ? .success : .failure
}

extension ReportWriter {
    /// The report cells (in `csvColumns` order, empty for none) of the rows of `batchID` whose
    /// report status is in `statuses`, in row order: what `report --status` prints.
    public func rows(batchID: String, statuses: Set<String>) throws -> [[String]] {
        var rows: [[String]] = []
        try store.forEachJob(batchID: batchID) { job in
            guard statuses.contains(job.state.reportStatus) else { return }
            rows.append(Self.cells(of: job).map { $0 ?? "" })
        }
        return rows
    }

    /// One line of the CSV report (no line ending), spreadsheet-safe as in the report files.
    public static func csvLine(_ cells: [String]) -> String {
        cells.map(SpreadsheetCell.csv).joined(separator: ",")
    }
}

import SubImportCSV

/// One data row of an input file, numbered as reports number it.
struct DataRow {
    /// 1-based data row (blank lines and all-empty records are not data rows).
    var row: Int
    /// Physical line where the row starts.
    var line: Int
    /// The mapped row, or why the record could not be read or mapped (error code, message).
    var content: Result<ImportRow, DataRowError>
}

/// Why a record is not a usable row: `unreadable` (quoting or encoding) or `invalid` (cells).
struct DataRowError: Error {
    var code: String
    var message: String
}

/// Reads the data rows of a CSV file through a provider's column schema. The one place that
/// decides what a data row is and how it is numbered, so that ingest and any later re-reading
/// of the same file agree.
final class DataRowReader {
    let path: String
    let reader: CSVReader
    let mapping: HeaderMapping
    private var rowNumber = 0
    /// The cells of a row given back by `recycle`, for the next row.
    private var spareCells: [String?] = []

    /// Opens `path` (or reads `descriptor` from its start, never re-opening `path`, which then
    /// only names the file) and maps its header. Throws `unreadableFile` (file, line, reason)
    /// when the file cannot be read as CSV or lacks a required column.
    init(path: String, schema: ColumnSchema, descriptor: Int32? = nil) throws {
        self.path = path
        do {
            if let descriptor {
                reader = try CSVReader(descriptor: descriptor, name: path)
            } else {
                reader = try CSVReader(path: path)
            }
            guard let header = try reader.next() else {
                throw SubImportError.unreadableFile(path: path, reason: "the file is empty: a header row is required")
            }
            if let problem = header.problem {
                throw SubImportError.unreadableFile(path: path, reason: "header row (line \(header.line)): \(problem)")
            }
            mapping = try schema.map(header: header.fields, path: path)
        } catch let error as CSVFileError {
            throw SubImportError.unreadableFile(path: path, reason: "\(error)")
        }
    }

    /// Gives back the cells of a row the caller is done with: the next row's are written into
    /// their storage (one allocation less a row). Optional: rows never depend on it.
    func recycle(_ cells: inout [String?]) {
        swap(&spareCells, &cells)
        cells = []
    }

    /// The next data row, or nil at the end of the file.
    func next() throws -> DataRow? {
        while true {
            let next: CSVRecord?
            do { next = try reader.next() } catch {
                throw SubImportError.unreadableFile(path: path, reason: "\(error)")
            }
            guard var record = consume next else { return nil }
            // The record's storage goes back to the reader for the next record once mapped.
            defer { reader.recycle(&record.fields) }
            if record.problem == nil, record.fields.allSatisfy(\.isBlank) { continue }
            rowNumber += 1
            if let problem = record.problem {
                return DataRow(
                    row: rowNumber, line: record.line,
                    content: .failure(DataRowError(code: "unreadable", message: "line \(record.line): \(problem)")))
            }
            switch mapping.row(from: record.fields, reusing: &spareCells) {
            case .failure(let problem):
                return DataRow(
                    row: rowNumber, line: record.line,
                    content: .failure(DataRowError(code: "invalid", message: "line \(record.line): \(problem)")))
            case .success(let row):
                return DataRow(row: rowNumber, line: record.line, content: .success(row))
            }
        }
    }
}

// libFuzzer target for the CSV reader (built by scripts/fuzz.sh into the SubImportCSV module).
// Input: one byte choosing the chunk size, then the file's bytes. The reader must never trap,
// and must read the same records whatever the chunk size.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let chunkSize = Int(data[0] % 16) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = readAll(bytes, chunkSize: .max)
    let chunked = readAll(bytes, chunkSize: chunkSize)
    if whole != chunked { fatalError("chunk size \(chunkSize) reads differently") }
    return 0
}

/// Every record (or the error that ended the reading) of `bytes`.
private func readAll(_ bytes: [UInt8], chunkSize: Int) -> [String] {
    let reader = CSVReader(bytes: bytes, name: "fuzz", chunkSize: chunkSize)
    var records: [String] = []
    do {
        while let record = try reader.next() {
            records.append("\(record.line):\(record.fields):\(String(describing: record.problem))")
        }
    } catch {
        records.append("error: \(error)")
    }
    return records
}

import Testing

@testable import SubImport

/// Rows' cells given back with `recycle` are written into again, and rows never depend on it
/// (defaults, blank cells and passwords included).
@Suite struct DataRowReaderTests {
    let directory = TestDirectory()

    func rows(of path: String, recycling: Bool) throws -> [ImportRow] {
        let schema = try OctopushProvider().columns(mode: .create).withDefaults(["company_name": "Default Co"])
        let reader = try DataRowReader(path: path, schema: schema)
        var rows: [ImportRow] = []
        while let data = try reader.next() {
            guard case .success(var row) = (consume data).content else { continue }
            rows.append(row)
            if recycling { reader.recycle(&row.cells) }
        }
        return rows
    }

    @Test func recycledCellsGiveTheSameRowsAndAreReused() throws {
        let path = directory.write(
            "rows.csv",
            """
            first_name,last_name,password,company_name
            Leonardo,Da Vinci, secret-1 ,Italy
            Marie,  ,radium1898,
            ,,,
            Ada,Lovelace,analytical, Engines\t
            """)
        let plain = try rows(of: path, recycling: false)
        #expect(plain.count == 3)
        #expect(plain[1]["company_name"] == "Default Co")
        #expect(plain[0].secret == " secret-1 ")
        #expect(try rows(of: path, recycling: true) == plain)

        let schema = OctopushProvider().columns(mode: .create)
        let reader = try DataRowReader(path: path, schema: schema)
        guard case .success(var first) = try #require(try reader.next()).content else {
            Issue.record("row 1 is valid")
            return
        }
        let storage = first.cells.withUnsafeBufferPointer { $0.baseAddress }
        reader.recycle(&first.cells)
        guard case .success(let second) = try #require(try reader.next()).content else {
            Issue.record("row 2 is valid")
            return
        }
        #expect(second.cells.withUnsafeBufferPointer { $0.baseAddress } == storage)
        #expect(second["first_name"] == "Marie" && second["last_name"] == nil && second.secret == "radium1898")
    }
}

import SubImportCSV
import Testing

/// Fields given back with `recycle` are read into again: one allocation less a record, and
/// never a change to any record, whether or not the caller kept a copy of what it gave back.
@Suite("Recycled fields")
struct RecycleTests {
    @Test("Records read into recycled storage are the records read without it, at every chunk size")
    func recycledRecordsAreUnchanged() throws {
        let bytes = ChunkBoundaryTests.tricky + Array("1;2;3\r\n;;\r\nlast;\"one\"\r\n".utf8)
        let expected = try readAll(CSVReader(bytes: bytes))
        for chunkSize in [1, 3, 7, bytes.count] {
            let reader = CSVReader(bytes: bytes, chunkSize: chunkSize)
            var records: [CSVRecord] = []
            while var record = try reader.next() {
                records.append(record)
                reader.recycle(&record.fields)
                #expect(record.fields.isEmpty)
            }
            #expect(records == expected, "chunk size \(chunkSize)")
        }
    }

    @Test("A later record is read into the storage given back")
    func storageIsReused() throws {
        let reader = CSVReader(bytes: Array("a,b,c\n1,2,3\n4,5,6\n7,8,9\nx,y,z\n".utf8))
        _ = try reader.next()  // the header
        var second = try #require(try reader.next())
        let storage = second.fields.withUnsafeBufferPointer { $0.baseAddress }
        reader.recycle(&second.fields)
        // The third record was being read already; the fourth goes where the second was.
        var third = try #require(try reader.next())
        let kept = third.fields
        reader.recycle(&third.fields)
        let fourth = try #require(try reader.next())
        #expect(fourth.fields == ["7", "8", "9"])
        #expect(fourth.fields.withUnsafeBufferPointer { $0.baseAddress } == storage)
        // A copy kept by the caller is left as it was: the reader empties its own.
        #expect(try reader.next()?.fields == ["x", "y", "z"])
        #expect(kept == ["4", "5", "6"])
    }
}

import Testing

@testable import SubImport

/// The duplicate finder's table: every recorded row with the same hash bits is offered, so a
/// content check decides, and memory stays near 8 bytes a slot.
@Suite struct RowHashTableTests {
    @Test func everyRowWithTheSameBitsIsOfferedUntilOneMatches() {
        var table = RowHashTable()
        let shared: UInt64 = 0xDEAD_BEEF_0000_0001
        for row in 1...5 { table.insert(hash: shared &+ UInt64(row), row: row) }  // same high 32 bits
        var offered: [Int] = []
        let none = table.firstMatch(hash: shared) {
            offered.append($0)
            return false
        }
        #expect(none == nil)
        #expect(offered.sorted() == [1, 2, 3, 4, 5])
        #expect(table.firstMatch(hash: shared) { $0 == 4 } == 4)
        #expect(table.firstMatch(hash: 0x1234_5678_0000_0000) { _ in true } == nil)
    }

    @Test func manyRowsAreAllFoundAfterGrowing() {
        var table = RowHashTable()
        var generator = SystemRandomNumberGenerator()
        var hashes: [UInt64] = []
        for row in 1...200_000 {
            let hash = generator.next() as UInt64
            hashes.append(hash)
            table.insert(hash: hash, row: row)
        }
        #expect(table.count == 200_000)
        for (index, hash) in hashes.enumerated() where index % 97 == 0 {
            #expect(table.firstMatch(hash: hash) { $0 == index + 1 } == index + 1)
        }
    }
}

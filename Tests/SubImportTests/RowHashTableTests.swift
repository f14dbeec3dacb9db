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

    @Test func aRowWithNoMatchIsRecordedWhereTheSearchEnded() {
        var table = RowHashTable()
        let shared: UInt64 = 0xCAFE_F00D_0000_0000
        #expect(table.firstMatchOrInsert(hash: shared, row: 1) { _ in true } == nil)
        var offered: [Int] = []
        #expect(
            table.firstMatchOrInsert(hash: shared, row: 2) {
                offered.append($0)
                return false
            } == nil)
        #expect(offered == [1])
        #expect(table.firstMatchOrInsert(hash: shared, row: 3) { $0 == 2 } == 2)
        #expect(table.count == 2)
        var seen: [Int] = []
        _ = table.firstMatch(hash: shared) {
            seen.append($0)
            return false
        }
        #expect(seen.sorted() == [1, 2])
        // Many more rows, through the parts' growth: each is recorded (no earlier row is the same)
        // and found again.
        func hash(_ row: Int) -> UInt64 { UInt64(row).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15).low }
        for row in 4...100_000 {
            #expect(table.firstMatchOrInsert(hash: hash(row), row: row) { _ in false } == nil)
        }
        #expect(table.count == 99_999)
        for row in stride(from: 4, through: 100_000, by: 97) {
            #expect(table.firstMatch(hash: hash(row)) { $0 == row } == row)
        }
    }

    @Test func aReservedTableHoldsThatManyRowsWithoutGrowingAndFindsThemAll() {
        var table = RowHashTable()
        table.reserve(100_000)
        let reserved = table.capacity
        // Room for the rows at most 4/5 full, and not much more (10 bytes a row).
        #expect(reserved * 4 >= 100_000 * 5 - 64 * 5)
        #expect(reserved <= 100_000 * 5 / 4 + 64 * 3)
        func hash(_ row: Int) -> UInt64 { UInt64(row).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15).low }
        for first in stride(from: 1, through: 100_000, by: 1_000) {
            table.prefetch((first..<first + 1_000).map(hash))
            for row in first..<first + 1_000 {
                #expect(table.firstMatchOrInsert(hash: hash(row), row: row) { _ in false } == nil)
            }
        }
        #expect(table.capacity == reserved)
        #expect(table.count == 100_000)
        for row in stride(from: 1, through: 100_000, by: 89) {
            #expect(table.firstMatch(hash: hash(row)) { $0 == row } == row)
        }
        // Reserving less than it holds changes nothing.
        table.reserve(10)
        #expect(table.capacity == reserved)
    }
}

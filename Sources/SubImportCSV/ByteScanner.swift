/// Word-at-a-time (SWAR) search for the bytes that end a run of field text.
///
/// Looks at 8 bytes per step instead of one; used by ``RecordParser`` for the long runs of
/// ordinary bytes inside fields.
struct ByteScanner {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    private let first: UInt64
    private let second: UInt64
    private let third: UInt64

    /// A scanner that stops at `first`, `second`, `third` and NUL.
    init(stoppingAt first: UInt8, _ second: UInt8, _ third: UInt8) {
        self.first = Self.ones &* UInt64(first)
        self.second = Self.ones &* UInt64(second)
        self.third = Self.ones &* UInt64(third)
    }

    /// Returns the index of the first stop byte in `bytes[start..<end]` (or `end`), and the OR
    /// of all bytes before it (>= 0x80 means some byte is not ASCII).
    @inline(__always)
    func scan(_ bytes: UnsafePointer<UInt8>, from start: Int, to end: Int) -> (index: Int, bitsUnion: UInt8) {
        var index = start
        var highUnion: UInt64 = 0
        let raw = UnsafeRawPointer(bytes)
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let stops =
                Self.zeroBytes(word ^ first) | Self.zeroBytes(word ^ second) | Self.zeroBytes(word ^ third)
                | Self.zeroBytes(word)
            if stops != 0 {
                let offset = stops.trailingZeroBitCount &>> 3
                let before = offset == 0 ? 0 : word & (UInt64.max &>> (64 &- 8 &* UInt64(offset)))
                highUnion |= before & Self.highBits
                return (index &+ offset, highUnion == 0 ? 0 : 0x80)
            }
            highUnion |= word & Self.highBits
            index &+= 8
        }
        var union: UInt8 = highUnion == 0 ? 0 : 0x80
        let first = UInt8(truncatingIfNeeded: self.first)
        let second = UInt8(truncatingIfNeeded: self.second)
        let third = UInt8(truncatingIfNeeded: self.third)
        while index < end {
            let byte = bytes[index]
            if byte == first || byte == second || byte == third || byte == 0 { break }
            union |= byte
            index &+= 1
        }
        return (index, union)
    }

    /// High bit set in every byte of `word` that is zero. Bytes above the lowest zero byte may
    /// be flagged wrongly (borrow), so only the lowest flag is exact, which is all we use.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highBits
    }
}

/// The rows of a file seen so far, by 32 bits of a hash of their content: each row takes one
/// 8-byte slot (its number and those bits) in one of 64 open-addressing tables chosen by the
/// bits. A table grows by a quarter when it is 4/5 full, so memory stays between 10 and
/// about 13 bytes a row (12 MiB at one million rows), and growing one table never holds more
/// than 1/64 of the whole twice.
///
/// It answers "which earlier rows may be equal to this one": the rows whose stored bits agree.
/// The caller confirms each candidate against the row's actual content, so a hash collision
/// never makes two different rows duplicates (it only costs one comparison).
struct RowHashTable {
    /// A linear-probing table; a slot is 0 when empty, else `(bits << 32) | row` with row ≥ 1.
    private struct Part {
        var slots: [UInt64]
        var count = 0

        init(size: Int) { slots = Array(repeating: 0, count: size) }

        /// Where the probe for `bits` starts: bits 6..<32 scaled onto the table (the top six
        /// chose the part).
        func start(_ bits: UInt64) -> Int { Self.start(bits, size: slots.count) }

        /// `start(_:)` in a table of `size` slots.
        static func start(_ bits: UInt64, size: Int) -> Int {
            Int(truncatingIfNeeded: ((bits & 0x03FF_FFFF) &* UInt64(size)) >> 26)
        }

        /// Whether `rows` entries would fill the part past four fifths (it must grow first).
        func isFull(with rows: Int) -> Bool { rows * 5 > slots.count * 4 }

        mutating func place(_ slot: UInt64) {
            let start = start(slot >> 32)
            slots.withUnsafeMutableBufferPointer { Self.place(slot, in: $0, from: start) }
        }

        /// Puts `slot` in the first empty slot of `slots` from `index` on (wrapping around).
        static func place(_ slot: UInt64, in slots: UnsafeMutableBufferPointer<UInt64>, from index: Int) {
            var index = index
            while slots[index] != 0 {
                index += 1
                if index == slots.count { index = 0 }
            }
            slots[index] = slot
        }
    }

    private static let partCount = 64
    private var parts: [Part]
    private(set) var count = 0
    /// Slots in all, used or not (8 bytes each).
    var capacity: Int { parts.reduce(0) { $0 + $1.slots.count } }
    /// What `prefetch` read (never used otherwise).
    private var prefetched: UInt64 = 0

    init() {
        parts = Array(repeating: Part(size: 64), count: Self.partCount)
    }

    /// The part that holds the entries of `bits` (a hash's kept 32 bits): their top six.
    private static func part(of bits: UInt64) -> Int { Int(bits >> 26) }

    /// Makes room for `rows` rows in all (spread evenly over the parts) without growing: one
    /// rebuild now instead of many while they are inserted.
    mutating func reserve(_ rows: Int) {
        let perPart = rows / Self.partCount + 1
        for which in parts.indices where parts[which].isFull(with: perPart + 1) {
            rebuild(which, size: perPart * 5 / 4 + 2)
        }
    }

    /// Reads the first slot each of `hashes` will probe, all before any is needed: the reads do
    /// not depend on one another, so the processor fetches their cache lines at the same time
    /// instead of waiting for each miss in turn when the rows are looked up one by one.
    mutating func prefetch(_ hashes: [UInt64]) {
        var sum: UInt64 = 0
        parts.withUnsafeBufferPointer { parts in
            for hash in hashes {
                let bits = hash >> 32
                let part = parts.baseAddress! + Self.part(of: bits)
                sum &+= part.pointee.slots.withUnsafeBufferPointer { $0[Part.start(bits, size: $0.count)] }
            }
        }
        // Kept, so that the reads are not optimised away.
        prefetched = sum
    }

    /// The first recorded row with the same hash bits as `hash` for which `isSame` holds, or nil.
    func firstMatch(hash: UInt64, _ isSame: (Int) throws -> Bool) rethrows -> Int? {
        let bits = hash >> 32
        let part = parts[Self.part(of: bits)]
        var index = part.start(bits)
        while true {
            let slot = part.slots[index]
            if slot == 0 { return nil }
            if slot >> 32 == bits {
                let row = Int(slot & 0xFFFF_FFFF)
                if try isSame(row) { return row }
            }
            index += 1
            if index == part.slots.count { index = 0 }
        }
    }

    /// `firstMatch(hash:_:)`; when it finds none, also records `row` (1...UInt32.max) under
    /// `hash`, in the empty slot that ended the search (where `insert` would put it): one walk of
    /// the table, and one cache miss, a row instead of two.
    mutating func firstMatchOrInsert(hash: UInt64, row: Int, _ isSame: (Int) throws -> Bool) rethrows -> Int? {
        let bits = hash >> 32
        let which = Self.part(of: bits)
        if parts[which].isFull(with: parts[which].count + 1) { grow(which) }
        let size = parts[which].slots.count
        var index = parts[which].start(bits)
        while true {
            let slot = parts[which].slots[index]
            if slot == 0 { break }
            if slot >> 32 == bits {
                let earlier = Int(slot & 0xFFFF_FFFF)
                if try isSame(earlier) { return earlier }
            }
            index += 1
            if index == size { index = 0 }
        }
        parts[which].slots[index] = bits << 32 | UInt64(UInt32(truncatingIfNeeded: row))
        parts[which].count += 1
        count += 1
        return nil
    }

    /// Records `row` (1...UInt32.max) under `hash`.
    mutating func insert(hash: UInt64, row: Int) {
        let bits = hash >> 32
        let which = Self.part(of: bits)
        if parts[which].isFull(with: parts[which].count + 1) { grow(which) }
        parts[which].place(bits << 32 | UInt64(UInt32(truncatingIfNeeded: row)))
        parts[which].count += 1
        count += 1
    }

    /// Grows part `which` by a quarter, re-placing its entries (a probe start is derived from
    /// the stored bits alone).
    private mutating func grow(_ which: Int) {
        rebuild(which, size: parts[which].slots.count + parts[which].slots.count / 4)
    }

    /// Moves part `which` into a table of `size` slots (more than it holds).
    private mutating func rebuild(_ which: Int, size: Int) {
        var grown = Part(size: size)
        grown.count = parts[which].count
        grown.slots.withUnsafeMutableBufferPointer { slots in
            for slot in parts[which].slots where slot != 0 {
                Part.place(slot, in: slots, from: Part.start(slot >> 32, size: slots.count))
            }
        }
        parts[which] = grown
    }
}

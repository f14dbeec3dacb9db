/// A 64-bit hash of a row's stored content (its fields and its password), consistent with
/// `String` equality: two rows whose strings are equal (canonically equivalent) always get the
/// same hash, whatever bytes they were typed with. Used to find duplicate candidates, each of
/// which is then confirmed by comparing the content itself.
///
/// Strings are hashed as their NFC code units (what `String` equality compares), read in place
/// eight bytes at a time when they are already in NFC — always so when no scalar is at or above
/// U+0300 (no UTF-8 byte at or above 0xCC: ASCII, Latin-1 and Latin Extended letters, all of
/// them NFC as they are: no combining mark, nothing that composes with the scalar before it,
/// no singleton that normalizes to another), which is most real text; any other string goes
/// through the standard library's own normalization. The mixing is keyed with a
/// random seed per `RowContentHash` value, so that a crafted file cannot make many rows share
/// a hash (each shared hash costs a comparison).
struct RowContentHash: Sendable {
    private let seed = UInt64.random(in: .min ... .max)

    /// The hash of a row of `fields` (the stored JSON) and `secret`.
    func hash(fields: String, secret: String?) -> UInt64 {
        var state = State(seed: seed)
        state.append(fields)
        if let secret {
            state.mix(1)
            state.append(secret)
        } else {
            state.mix(0)
        }
        return state.finish()
    }

    /// The streaming state: bytes are mixed in little-endian words of eight, the same words
    /// whether they come from a string read in place or from its NFC code units one by one.
    private struct State {
        var value: UInt64
        var word: UInt64 = 0
        var wordBytes: UInt64 = 0
        var length: UInt64 = 0

        init(seed: UInt64) { value = seed }

        /// Mixes in the NFC code units of `string`, then its length (so that the boundary
        /// between two strings is part of the hash).
        mutating func append(_ string: String) {
            let inNFC = string.withUTF8Bytes { bytes -> Bool in
                var highest: UInt8 = 0
                for byte in bytes { highest = max(highest, byte) }
                guard highest < 0xCC else { return false }
                appendWords(bytes)
                return true
            }
            if !inNFC {
                string._withNFCCodeUnits { append(byte: $0) }
            }
            flush()
        }

        /// `bytes`, starting at a word boundary.
        private mutating func appendWords(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let base = bytes.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            var offset = 0
            while bytes.count - offset >= 8 {
                mix(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
                length &+= 8
            }
            while offset < bytes.count {
                append(byte: bytes[offset])
                offset += 1
            }
        }

        private mutating func append(byte: UInt8) {
            word |= UInt64(byte) << (wordBytes * 8)
            wordBytes += 1
            length &+= 1
            if wordBytes == 8 {
                mix(word)
                word = 0
                wordBytes = 0
            }
        }

        /// Mixes in the last partial word and the length of the string just appended.
        private mutating func flush() {
            if wordBytes > 0 { mix(word) }
            mix(length)
            word = 0
            wordBytes = 0
            length = 0
        }

        mutating func mix(_ input: UInt64) {
            // One 64 × 64 → 128-bit multiply, folded (as wyhash does).
            let product = (value ^ input).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            value = product.high ^ product.low
        }

        func finish() -> UInt64 {
            // A full avalanche (murmur3's finalizer): every input bit reaches the high bits,
            // which are the ones `RowHashTable` keeps.
            var hash = value
            hash ^= hash >> 33
            hash &*= 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 33
            hash &*= 0xC4CE_B9FE_1A85_EC53
            hash ^= hash >> 33
            return hash
        }
    }
}

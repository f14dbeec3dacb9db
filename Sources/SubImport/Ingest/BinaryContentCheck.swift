import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the first NUL byte of a file read in chunks: CSV text never holds one, so a file that
/// does is binary and is refused before anything else is said of it. Only the offset is kept
/// while scanning (a fast byte search); the line is counted once, when a NUL is found.
struct BinaryContentCheck {
    /// Offset of the first NUL byte, if any.
    private(set) var nulOffset: Int?
    /// The file starts with a UTF-16 byte-order mark (`FF FE` or `FE FF`): text, but in an
    /// encoding that is not read.
    private(set) var startsAsUTF16 = false
    private var offset = 0

    mutating func inspect(_ chunk: Data) {
        if offset == 0, chunk.count >= 2 {
            let mark = (chunk[chunk.startIndex], chunk[chunk.startIndex + 1])
            startsAsUTF16 = mark == (0xFF, 0xFE) || mark == (0xFE, 0xFF)
        }
        guard nulOffset == nil else { return }
        // memchr: the C library's vectorised search (a byte loop costs about 2 % of an ingest).
        let index = chunk.withUnsafeBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, let found = memchr(base, 0, bytes.count) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
        if let index { nulOffset = offset + index }
        offset += chunk.count
    }

    /// The 1-based line of the NUL byte in the file open at `descriptor` (read with `pread`
    /// from its start; the descriptor's offset is left as it was).
    func nulLine(inDescriptor descriptor: Int32) -> Int? {
        guard let nulOffset else { return nil }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var line = 1
        var offset = 0
        while offset < nulOffset {
            let wanted = min(nulOffset - offset, chunk.count)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, off_t(offset)) }
            if count <= 0 { break }
            line += chunk[0..<count].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            offset += count
        }
        return line
    }
}

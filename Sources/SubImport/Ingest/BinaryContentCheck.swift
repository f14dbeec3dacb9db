import Foundation

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
        if let index = chunk.withUnsafeBytes({ $0.firstIndex(of: 0) }) {
            nulOffset = offset + index
        }
        offset += chunk.count
    }

    /// The 1-based line of the NUL byte in the file at `path`.
    func nulLine(inFile path: String) -> Int? {
        guard let nulOffset, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var line = 1
        var remaining = nulOffset
        while remaining > 0, let chunk = try? handle.read(upToCount: min(remaining, 1 << 20)), !chunk.isEmpty {
            line += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            remaining -= chunk.count
        }
        return line
    }
}

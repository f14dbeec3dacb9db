import Foundation

/// Finds the first NUL byte of a file read in chunks, and its 1-based line: CSV text never
/// holds one, so a file that does is binary and is refused before anything else is said of it.
struct BinaryContentCheck {
    private(set) var nulLine: Int?
    private var newlines = 0

    mutating func inspect(_ chunk: Data) {
        guard nulLine == nil else { return }
        chunk.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let nul = bytes.firstIndex(of: 0) else {
                newlines += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                return
            }
            nulLine = newlines + bytes[..<nul].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
    }
}

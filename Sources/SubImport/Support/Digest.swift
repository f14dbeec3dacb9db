import Crypto
import Foundation

/// SHA-256 digests, as lowercase hex.
public enum Digest {
    /// The SHA-256 of `bytes`.
    public static func sha256Hex(of bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The SHA-256 of a file's content, read in chunks (constant memory). `inspect` sees every
    /// chunk in order, so a caller can check the content in the same pass.
    public static func sha256Hex(ofFile path: String, inspect: ((Data) -> Void)? = nil) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SubImportError.unreadableFile(path: path, reason: "cannot open the file")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw SubImportError.unreadableFile(path: path, reason: "read failed: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            inspect?(chunk)
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }
}

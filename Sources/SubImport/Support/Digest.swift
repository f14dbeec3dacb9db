import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SHA-256 digests, as lowercase hex.
public enum Digest {
    /// The SHA-256 of `bytes`.
    public static func sha256Hex(of bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The SHA-256 of a file's content, read in chunks (constant memory). `inspect` sees every
    /// chunk in order, so a caller can check the content in the same pass.
    public static func sha256Hex(ofFile path: String, inspect: ((Data) -> Void)? = nil) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SubImportError.unreadableFile(path: path, reason: "cannot open the file")
        }
        defer { close(descriptor) }
        return try sha256Hex(ofDescriptor: descriptor, path: path, inspect: inspect)
    }

    /// The SHA-256 of the whole content of the file open at `descriptor`, read from its start
    /// with `pread` (the descriptor's offset is left as it was), in chunks, like
    /// `sha256Hex(ofFile:)`. `path` only names the file in errors.
    public static func sha256Hex(ofDescriptor descriptor: Int32, path: String, inspect: ((Data) -> Void)? = nil)
        throws -> String
    {
        var hasher = SHA256()
        var chunk = Data(count: 1 << 20)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SubImportError.unreadableFile(
                    path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            let read = chunk.prefix(count)
            hasher.update(data: read)
            inspect?(read)
            offset += off_t(count)
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

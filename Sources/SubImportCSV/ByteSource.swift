#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a ``CSVReader`` gets its bytes: a file read with read(2), or an array in memory.
struct ByteSource {
    private enum Storage {
        case file(descriptor: Int32)
        case memory(bytes: [UInt8], offset: Int)
        case closed
    }

    private var storage: Storage
    /// The path (or in-memory name), for error messages.
    let name: String

    /// Opens `path` for reading.
    init(path: String) throws(CSVFileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            throw .cannotOpen(path: path, reason: Self.errorText(errno))
        }
        storage = .file(descriptor: descriptor)
        name = path
    }

    /// Serves `bytes`.
    init(bytes: [UInt8], name: String) {
        storage = .memory(bytes: bytes, offset: 0)
        self.name = name
    }

    /// The number of bytes left when known (memory), for sizing buffers.
    var remainingInMemory: Int? {
        if case .memory(let bytes, let offset) = storage {
            return bytes.count - offset
        }
        return nil
    }

    /// Reads up to `count` bytes into `destination`; returns 0 at end of input.
    mutating func read(into destination: UnsafeMutablePointer<UInt8>, count: Int) throws(CSVFileError) -> Int {
        switch storage {
        case .closed:
            return 0
        case .memory(let bytes, let offset):
            let available = min(count, bytes.count - offset)
            if available <= 0 { return 0 }
            bytes.withUnsafeBufferPointer { buffer in
                destination.update(from: buffer.baseAddress! + offset, count: available)
            }
            storage = .memory(bytes: bytes, offset: offset + available)
            return available
        case .file(let descriptor):
            while true {
                #if canImport(Darwin)
                    let result = Darwin.read(descriptor, destination, count)
                #elseif canImport(Glibc)
                    let result = Glibc.read(descriptor, destination, count)
                #else
                    let result = Musl.read(descriptor, destination, count)
                #endif
                if result >= 0 { return result }
                let code = errno
                if code == EINTR { continue }
                throw .readFailed(path: name, reason: Self.errorText(code))
            }
        }
    }

    /// Releases the file descriptor (or the array); later reads return 0.
    mutating func close() {
        if case .file(let descriptor) = storage {
            #if canImport(Darwin)
                _ = Darwin.close(descriptor)
            #elseif canImport(Glibc)
                _ = Glibc.close(descriptor)
            #else
                _ = Musl.close(descriptor)
            #endif
        }
        storage = .closed
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

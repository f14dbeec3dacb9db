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

    /// Reads the file open at `descriptor` from its start, through a duplicate of it (closed by
    /// `close()`; the caller's descriptor stays open). Nothing is re-opened by path.
    init(duplicating descriptor: Int32, name: String) throws(CSVFileError) {
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0, lseek(duplicate, 0, SEEK_SET) == 0 else {
            let code = errno
            if duplicate >= 0 { _ = Self.closeDescriptor(duplicate) }
            throw .cannotOpen(path: name, reason: Self.errorText(code))
        }
        storage = .file(descriptor: duplicate)
        self.name = name
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
        if case .file(let descriptor) = storage { _ = Self.closeDescriptor(descriptor) }
        storage = .closed
    }

    private static func closeDescriptor(_ descriptor: Int32) -> Int32 {
        #if canImport(Darwin)
            Darwin.close(descriptor)
        #elseif canImport(Glibc)
            Glibc.close(descriptor)
        #else
            Musl.close(descriptor)
        #endif
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

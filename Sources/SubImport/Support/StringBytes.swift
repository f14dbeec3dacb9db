extension String {
    /// `body` applied to the string's UTF-8 bytes, read in place when the string is native (as
    /// the cells of an input file are: no copy of the `String`, so no retain and release), else
    /// from a native copy.
    func withUTF8Bytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var text = self
        return try text.withUTF8(body)
    }
}

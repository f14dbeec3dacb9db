/// Encodes a row's cells as the JSON array stored in `job.fields`, exactly as
/// `JSONText.array(_:)` does, written straight into the resulting string's storage: the only
/// allocation per row is that string (cells needing an escape, rare, take `JSONText`'s path).
struct FieldsEncoder {
    /// `JSONText.array(values)`.
    func encode(_ values: [String?]) -> String {
        var count = values.count
        while count > 0 && values[count - 1] == nil { count -= 1 }
        // "[", "]", a comma between values, "null" or a quoted value each.
        var length = 2 + max(0, count - 1)
        for index in 0..<count {
            guard let value = values[index] else {
                length += 4
                continue
            }
            guard value.withUTF8Bytes(JSONText.isLiteralAsIs) else { return JSONText.array(values) }
            length += value.utf8.count + 2
        }
        return String(unsafeUninitializedCapacity: length) { out in
            var position = 0
            func put(_ byte: UInt8) {
                out[position] = byte
                position += 1
            }
            put(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { put(UInt8(ascii: ",")) }
                guard let value = values[index] else {
                    for byte in "null".utf8 { put(byte) }
                    continue
                }
                put(UInt8(ascii: "\""))
                value.withUTF8Bytes { bytes in
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                    UnsafeMutableRawPointer(out.baseAddress! + position).copyMemory(from: base, byteCount: bytes.count)
                    position += bytes.count
                }
                put(UInt8(ascii: "\""))
            }
            put(UInt8(ascii: "]"))
            return position
        }
    }
}

/// Encodes a row's cells as the JSON array stored in `job.fields` (`JSONText.array(_:)`) into
/// one buffer reused from row to row: the only allocation per row is the resulting string.
struct FieldsEncoder {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(512) }

    /// `JSONText.array(values)`.
    mutating func encode(_ values: [String?]) -> String {
        buffer.removeAll(keepingCapacity: true)
        JSONText.appendArray(values, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

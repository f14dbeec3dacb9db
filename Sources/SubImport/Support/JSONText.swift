import Foundation

/// Minimal, allocation-light JSON text helpers for the hot paths (queue payloads, report rows),
/// where `JSONEncoder` would dominate the cost of ingesting millions of rows.
public enum JSONText {
    /// Returns `value` as a JSON string literal, quotes included, with every character that JSON
    /// requires escaped. The result always parses back to exactly `value`.
    public static func quote(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        appendQuoted(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as a JSON string literal to `out` (UTF-8 bytes).
    public static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let clean = value.withUTF8Bytes { bytes in
            // Fast path: nothing to escape (the common case), copy the bytes at once.
            guard isLiteralAsIs(bytes) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if clean {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether `bytes` (UTF-8) go between a JSON string literal's quotes as they are: no control
    /// character, quote or backslash to escape.
    static func isLiteralAsIs(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }

    /// `value` as a JSON string literal in UTF-8 bytes, quotes included.
    public static func quotedBytes(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        appendQuoted(value, to: &out)
        return out
    }

    /// A compact JSON object of `members` (each value already JSON text), keys sorted.
    public static func objectBytes(_ members: [(name: String, value: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in members.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendQuoted(member.name, to: &out)
            out.append(UInt8(ascii: ":"))
            out += member.value
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Encodes optional strings as a JSON array (`null` for nil), dropping trailing nils.
    public static func array(_ values: [String?]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        appendArray(values, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `array(values)` to `out` (UTF-8 bytes).
    public static func appendArray(_ values: [String?], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        let count = (values.lastIndex { $0 != nil } ?? -1) + 1
        for index in 0..<count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if let value = values[index] {
                appendQuoted(value, to: &out)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Decodes an array written by `array(_:)` and names its values with `names`, in order;
    /// nulls and values beyond `names` are left out.
    public static func namedValues(_ text: String, names: [String]) -> [String: String] {
        guard let data = text.data(using: .utf8),
            let values = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return [:] }
        var result: [String: String] = [:]
        for (name, value) in zip(names, values) {
            if let string = value as? String { result[name] = string }
        }
        return result
    }

    /// Decodes a JSON array of strings (the `batch.columns` list).
    public static func stringArray(_ text: String) -> [String] {
        guard let data = text.data(using: .utf8), let values = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return [] }
        return values.compactMap { $0 as? String }
    }
}

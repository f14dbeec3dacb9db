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
        var result: [String: String] = [:]
        if let values = plainArray(text) {
            for (name, value) in zip(names, values) where value != nil { result[name] = value }
            return result
        }
        guard let data = text.data(using: .utf8),
            let values = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return [:] }
        for (name, value) in zip(names, values) {
            if let string = value as? String { result[name] = string }
        }
        return result
    }

    /// Decodes a JSON array of strings (the `batch.columns` list).
    public static func stringArray(_ text: String) -> [String] {
        if let values = plainArray(text) { return values.compactMap { $0 } }
        guard let data = text.data(using: .utf8), let values = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return [] }
        return values.compactMap { $0 as? String }
    }

    /// The values of a JSON array of strings and nulls whose strings hold no escape (what
    /// `appendArray` writes for most rows), nil for each null; read without Foundation, as
    /// `JSONSerialization` would read them. Returns nil for any other text (an escape, another
    /// kind of value, text that is not JSON), which the caller then reads in full.
    static func plainArray(_ text: String) -> [String?]? {
        text.withUTF8Bytes { bytes -> [String?]? in
            var index = 0
            func skipSpace() {
                while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            }
            func take(_ byte: UInt8) -> Bool {
                skipSpace()
                guard index < bytes.count, bytes[index] == byte else { return false }
                index += 1
                return true
            }
            guard take(UInt8(ascii: "[")) else { return nil }
            var values: [String?] = []
            if !take(UInt8(ascii: "]")) {
                repeat {
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "\"") {
                        let start = index + 1
                        var end = start
                        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                            // An escape or a raw control character: left to the full reader.
                            if bytes[end] == UInt8(ascii: "\\") || bytes[end] < 0x20 { return nil }
                            end += 1
                        }
                        guard end < bytes.count else { return nil }
                        values.append(
                            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                        index = end + 1
                    } else if bytes.count - index >= 4, bytes[index..<index + 4].elementsEqual("null".utf8) {
                        values.append(nil)
                        index += 4
                    } else {
                        return nil
                    }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "]")) else { return nil }
            }
            skipSpace()
            return index == bytes.count ? values : nil
        }
    }
}

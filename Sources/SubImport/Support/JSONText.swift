import Foundation

/// Minimal, allocation-light JSON text helpers for the hot paths (queue payloads, report rows),
/// where `JSONEncoder` would dominate the cost of ingesting millions of rows.
public enum JSONText {
    /// Returns `value` as a JSON string literal, quotes included, with every character that JSON
    /// requires escaped. The result always parses back to exactly `value`.
    public static func quote(_ value: String) -> String {
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape { return "\"" + value + "\"" }
        var out = "\""
        out.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Encodes ordered string pairs as a JSON object, keeping their order.
    public static func object(_ pairs: [(String, String)]) -> String {
        var out = "{"
        for (index, (key, value)) in pairs.enumerated() {
            if index > 0 { out += "," }
            out += quote(key) + ":" + quote(value)
        }
        return out + "}"
    }

    /// Decodes a JSON object whose values are all strings, as written by `object(_:)`.
    /// Returns an empty dictionary for text that is not such an object.
    public static func stringDictionary(_ text: String) -> [String: String] {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object {
            if let string = value as? String { result[key] = string }
        }
        return result
    }
}

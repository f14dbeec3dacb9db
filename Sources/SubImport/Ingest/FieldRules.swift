import Foundation

/// Checks shared by the providers' row validation. They run on every row of files with
/// millions of rows, so they work on UTF-8 bytes and take Unicode-aware paths only for
/// non-ASCII text.
public enum FieldRules {
    /// A problem when `value` is absent or its length (in characters) is outside `range`.
    public static func length(_ value: String?, column: String, _ range: ClosedRange<Int>, required: Bool = true)
        -> RowProblem?
    {
        guard let value else { return required ? RowProblem(column: column, message: "is required") : nil }
        let count = characterCount(value)
        if range.contains(count) { return nil }
        if range.upperBound == Int.max {
            return RowProblem(column: column, message: "must be at least \(range.lowerBound) characters (got \(count))")
        }
        if range.lowerBound == 0 {
            return RowProblem(column: column, message: "must be at most \(range.upperBound) characters (got \(count))")
        }
        return RowProblem(
            column: column, message: "must be \(range.lowerBound)–\(range.upperBound) characters (got \(count))")
    }

    /// Characters as a person counts them (grapheme clusters); byte count for ASCII text.
    static func characterCount(_ value: String) -> Int {
        let isASCII = value.withUTF8Bytes { bytes in
            var union: UInt8 = 0
            for byte in bytes { union |= byte }
            return union < 0x80
        }
        return isASCII ? value.utf8.count : value.count
    }

    /// Whether `value` is an absolute http(s) URL with a host.
    public static func isHTTPURL(_ value: String) -> Bool {
        value.withUTF8Bytes { isHTTPURL(bytes: $0, value) }
    }

    private static func isHTTPURL(bytes: UnsafeBufferPointer<UInt8>, _ value: String) -> Bool {
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return false }
        func hasPrefix(_ prefix: StaticString) -> Bool {
            guard bytes.count >= prefix.utf8CodeUnitCount else { return false }
            for index in 0..<prefix.utf8CodeUnitCount {
                let expected = prefix.utf8Start[index]
                let byte = bytes[index]
                guard byte == expected || (expected >= 0x61 && expected <= 0x7A && byte | 0x20 == expected) else {
                    return false
                }
            }
            return true
        }
        let schemeLength: Int
        if hasPrefix("https://") {
            schemeLength = 8
        } else if hasPrefix("http://") {
            schemeLength = 7
        } else {
            return false
        }
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            guard let components = URLComponents(string: value), let host = components.host else { return false }
            return !host.isEmpty
        }
        // The authority: up to the first '/', '?' or '#'; the host is what is left after any
        // "user@" and before any ":port".
        var authority = bytes[schemeLength...].prefix {
            $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#")
        }
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
        if authority.first == UInt8(ascii: "[") { return authority.contains(UInt8(ascii: "]")) }  // IPv6 literal
        let host = authority.prefix { $0 != UInt8(ascii: ":") }
        guard !host.isEmpty, host.allSatisfy({ isHostByte($0) }) else { return false }
        let port = authority.dropFirst(host.count)
        if !port.isEmpty {
            let digits = port.dropFirst()
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return false
            }
        }
        return true
    }

    /// Whether `value` is a well-formed email address: one `@`, a non-empty local part of at
    /// most 64 bytes without spaces, and a domain of dot-separated labels (letters, digits,
    /// hyphens; not starting or ending with a hyphen) whose last label has at least two letters.
    /// Non-ASCII letters are accepted (internationalised addresses).
    public static func isEmail(_ value: String) -> Bool {
        value.withUTF8Bytes { isEmail(bytes: $0) }
    }

    private static func isEmail(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at > 0, at <= 64,
            bytes.lastIndex(of: UInt8(ascii: "@")) == at,
            !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { return false }
        // The domain's labels, walked in place: each non-empty, letters, digits and inner
        // hyphens; at least two of them; the last one at least two letters.
        var labelCount = 0
        var labelStart = at + 1
        for index in (at + 1)...bytes.count {
            guard index == bytes.count || bytes[index] == UInt8(ascii: ".") else { continue }
            let label = bytes[labelStart..<index]
            guard let first = label.first, let last = label.last, first != UInt8(ascii: "-"),
                last != UInt8(ascii: "-"), label.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
            else { return false }
            labelCount += 1
            if index == bytes.count {
                return labelCount >= 2 && label.count >= 2 && label.allSatisfy { isLetter($0) }
            }
            labelStart = index + 1
        }
        return false
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte >= 0x80
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "[")
            || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "_")
    }
}

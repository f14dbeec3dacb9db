import Foundation

/// Checks shared by the providers' row validation.
public enum FieldRules {
    /// A problem when `value` is absent or its length (in characters) is outside `range`.
    public static func length(_ value: String?, column: String, _ range: ClosedRange<Int>, required: Bool = true)
        -> RowProblem?
    {
        guard let value else { return required ? RowProblem(column: column, message: "is required") : nil }
        let count = value.count
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

    /// Whether `value` is an absolute http(s) URL with a host.
    public static func isHTTPURL(_ value: String) -> Bool {
        guard !value.contains(where: { $0.isWhitespace }), let components = URLComponents(string: value),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        return true
    }

    /// Whether `value` is a well-formed email address: one `@`, a non-empty local part, and a
    /// domain of dot-separated labels with a final label of at least two letters.
    public static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, !value.contains(where: { $0.isWhitespace })
        else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
            let top = labels.last, top.count >= 2, top.allSatisfy({ $0.isLetter })
        else { return false }
        return labels.allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }
    }
}

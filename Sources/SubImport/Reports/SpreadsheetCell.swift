/// CSV cells that a spreadsheet opens safely.
enum SpreadsheetCell {
    /// `value` as one CSV cell: quoted when it holds a comma, quote, CR or LF; and when it begins
    /// with `=`, `+`, `-`, `@`, tab or CR, prefixed with `'` so that a spreadsheet shows it as
    /// text instead of running it as a formula (the JSON report keeps the raw value).
    static func csv(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}

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

    /// Appends `csv(value)` to `out` as UTF-8. A cell with nothing to quote or defuse (the
    /// common case) is copied byte for byte; any cell holding a comma, quote, CR or LF byte is
    /// quoted.
    static func appendCSV(_ value: String, to out: inout [UInt8]) {
        let copied = value.withUTF8Bytes { bytes -> Bool in
            if let first = bytes.first,
                [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D].contains(first)
            {
                return false
            }
            guard
                !bytes.contains(where: {
                    $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D
                })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if !copied { out.append(contentsOf: csv(value).utf8) }
    }
}

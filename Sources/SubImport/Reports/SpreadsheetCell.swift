/// CSV cells that a spreadsheet opens safely.
enum SpreadsheetCell {
    /// `value` as one CSV cell: quoted when it holds a comma, quote, CR or LF; and when it begins
    /// with `=`, `+`, `-`, `@`, tab or CR, prefixed with `'` so that a spreadsheet shows it as
    /// text instead of running it as a formula (the JSON report keeps the raw value).
    static func csv(_ value: String) -> String {
        var out: [UInt8] = []
        appendCSV(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `csv(value)` to `out` as UTF-8, working on bytes (every byte the rules look at is
    /// ASCII, so none can be part of a longer character). A cell with nothing to quote or
    /// defuse (the common case) is copied as it is.
    static func appendCSV(_ value: String, to out: inout [UInt8]) {
        value.withUTF8Bytes { bytes in
            let defused = bytes.first.map(startsAFormula) ?? false
            let quoted = bytes.contains {
                $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D
            }
            if quoted { out.append(UInt8(ascii: "\"")) }
            if defused { out.append(UInt8(ascii: "'")) }
            if quoted {
                for byte in bytes {
                    out.append(byte)
                    if byte == UInt8(ascii: "\"") { out.append(byte) }
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: bytes)
            }
        }
    }

    /// Whether a cell beginning with `byte` would be run as a formula: `=`, `+`, `-`, `@`, tab, CR.
    private static func startsAFormula(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "@") || byte == 0x09 || byte == 0x0D
    }
}

/// Text from outside (file names, CSV header cells, provider messages) made safe to write into a
/// log line or a reason file: no control character can end the line, fake another line, move
/// the cursor or recolour a terminal. The one escaping used wherever such text is written.
public enum ControlCharacters {
    /// `text` with every C0 control (U+0000–U+001F), DEL, C1 control (U+0080–U+009F) and
    /// bidirectional override (U+202A–U+202E, U+2066–U+2069) written as an escape: `\n`, `\r`,
    /// `\t`, else `\u{XX}`. Everything else, other non-ASCII text included, is unchanged.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}

/// How text read from an input file is quoted in messages (errors, notes, reports, logs):
/// cut to a short prefix and with control characters escaped, so that a hostile file can
/// neither flood a terminal or log nor forge lines in them.
///
/// Callers never pass a password column's value here: a secret is never quoted at all.
enum InputQuote {
    /// The most characters of one input value a message shows.
    static let maxCharacters = 40
    /// The most characters of a whole message built from input (a list of header cells).
    static let maxMessageCharacters = 300

    /// `text` cut to ``maxCharacters`` (with `…` when cut), control characters as `\u{…}`.
    static func value(_ text: String) -> String {
        cut(text, to: maxCharacters)
    }

    /// Header cells as a comma-separated list, each cut like ``value(_:)`` and the list cut
    /// to ``maxMessageCharacters`` (saying how many cells were left out).
    static func list(_ cells: [String]) -> String {
        var out = ""
        for (index, cell) in cells.enumerated() {
            let next = (index == 0 ? "" : ", ") + value(cell)
            if out.count + next.count > maxMessageCharacters {
                return out + ", … (\(cells.count - index) more)"
            }
            out += next
        }
        return out
    }

    /// `text` cut to `limit` characters and escaped; a message is cut the same way.
    static func cut(_ text: String, to limit: Int) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return out + "…" }
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}

/// The text encoding a CSV file is decoded with.
///
/// A ``CSVReader`` starts every file as ``utf8`` and may switch once to ``windows1252``
/// (see ``CSVReader/encoding``). The raw value is the encoding's usual name, suitable for
/// messages shown to the user.
public enum CSVEncoding: String, Sendable, CaseIterable {
    /// UTF-8 (with or without a byte order mark).
    case utf8 = "UTF-8"
    /// Windows code page 1252 (Western European), the default of French spreadsheet exports.
    case windows1252 = "Windows-1252"
}

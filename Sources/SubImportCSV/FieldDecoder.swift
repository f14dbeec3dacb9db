/// Turns the bytes of one field into a String, deciding the file's encoding on the way.
///
/// Rules (per field, so no field is ever mojibake):
/// - Pure ASCII is the same in both encodings and is decoded directly.
/// - In UTF-8 mode, valid UTF-8 is decoded as such and remembered as evidence that the file
///   is UTF-8. A field that is not valid UTF-8 switches the file to Windows-1252 if no
///   evidence was seen yet (every earlier field was ASCII, so nothing returned so far
///   changes meaning); otherwise the field is `.undecodable(encoding: .utf8)`.
/// - In Windows-1252 mode, a field that is valid multi-byte UTF-8 is decoded as UTF-8 and
///   flagged `.mixedEncoding`; any other field is decoded as Windows-1252, and its undefined
///   bytes make it `.undecodable(encoding: .windows1252)`.
struct FieldDecoder {
    private(set) var encoding: CSVEncoding = .utf8
    private(set) var switchLine: Int?
    /// Whether valid non-ASCII UTF-8 (or a UTF-8 byte order mark) has been seen.
    var sawUTF8Evidence = false

    /// Decodes a field that contains at least one byte >= 0x80.
    mutating func decodeNonASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, column: Int, line: Int
    ) -> (text: String, problem: CSVRecordProblem?) {
        let isUTF8 = UTF8Validation.isValid(bytes)
        switch encoding {
        case .utf8:
            if isUTF8 {
                sawUTF8Evidence = true
                return (String(decoding: bytes, as: UTF8.self), nil)
            }
            if sawUTF8Evidence {
                return (String(decoding: bytes, as: UTF8.self), .undecodable(column: column, encoding: .utf8))
            }
            encoding = .windows1252
            switchLine = line
            return decodeWindows1252(bytes, column: column)
        case .windows1252:
            if isUTF8 {
                return (String(decoding: bytes, as: UTF8.self), .mixedEncoding(column: column))
            }
            return decodeWindows1252(bytes, column: column)
        }
    }

    private func decodeWindows1252(
        _ bytes: UnsafeBufferPointer<UInt8>, column: Int
    ) -> (text: String, problem: CSVRecordProblem?) {
        let (text, isValid) = Windows1252.decode(bytes)
        return (text, isValid ? nil : .undecodable(column: column, encoding: .windows1252))
    }
}

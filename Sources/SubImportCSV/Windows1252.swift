/// The Windows-1252 (CP1252) code page.
///
/// 0x00-0x7F are ASCII, 0xA0-0xFF are the same as ISO 8859-1 (U+00A0-U+00FF) and 0x80-0x9F
/// hold the typographic characters of the table below. 0x81, 0x8D, 0x8F, 0x90 and 0x9D are
/// undefined.
enum Windows1252 {
    /// Unicode scalar values of 0x80...0x9F; 0 marks an undefined byte.
    private static let high: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87 € . ‚ ƒ „ … † ‡
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,  // 88-8F ˆ ‰ Š ‹ Œ . Ž .
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97 . ‘ ’ “ ” • – —
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,  // 98-9F ˜ ™ š › œ . ž Ÿ
    ]

    /// The character a byte stands for, or nil for the five undefined bytes.
    static func scalar(for byte: UInt8) -> Unicode.Scalar? {
        if byte < 0x80 || byte >= 0xA0 {
            return Unicode.Scalar(byte)
        }
        let value = high[Int(byte &- 0x80)]
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    /// Decodes `bytes`. Undefined bytes become U+FFFD and make `isValid` false.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: String, isValid: Bool) {
        var scalars = String.UnicodeScalarView()
        var isValid = true
        for byte in bytes {
            if let scalar = scalar(for: byte) {
                scalars.append(scalar)
            } else {
                scalars.append("\u{FFFD}")
                isValid = false
            }
        }
        return (String(scalars), isValid)
    }
}

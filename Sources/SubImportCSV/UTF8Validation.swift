/// Strict UTF-8 validation (Unicode Table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF, no truncated sequences).
enum UTF8Validation {
    /// Whether `bytes` is entirely well-formed UTF-8.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            if lead < 0xC2 {
                return false  // continuation byte without a lead, or overlong 2-byte form
            }
            if lead < 0xE0 {
                guard index + 1 < count, isContinuation(bytes[index + 1]) else { return false }
                index += 2
                continue
            }
            if lead < 0xF0 {
                guard index + 2 < count, isContinuation(bytes[index + 2]) else { return false }
                let second = bytes[index + 1]
                switch lead {
                case 0xE0: guard second >= 0xA0 && second <= 0xBF else { return false }
                case 0xED: guard second >= 0x80 && second <= 0x9F else { return false }
                default: guard isContinuation(second) else { return false }
                }
                index += 3
                continue
            }
            if lead < 0xF5 {
                guard index + 3 < count, isContinuation(bytes[index + 2]), isContinuation(bytes[index + 3]) else {
                    return false
                }
                let second = bytes[index + 1]
                switch lead {
                case 0xF0: guard second >= 0x90 && second <= 0xBF else { return false }
                case 0xF4: guard second >= 0x80 && second <= 0x8F else { return false }
                default: guard isContinuation(second) else { return false }
                }
                index += 4
                continue
            }
            return false
        }
        return true
    }

    @inline(__always)
    private static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }
}

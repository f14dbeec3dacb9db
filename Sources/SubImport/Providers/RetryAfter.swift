import Foundation

/// Reads an HTTP `Retry-After` value: delay seconds, or an HTTP date.
public enum RetryAfter {
    /// Seconds from `now` to wait, or nil when the value is neither form or is not a sane number
    /// (NaN, infinite, negative): such a value is ignored and the normal backoff applies.
    /// A result is always finite and never negative; it may still be far beyond what the
    /// settlement policy accepts (`RetryPolicy.retryAfterCeiling`).
    public static func seconds(from value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return sane(seconds) }
        // An HTTP date is short ASCII; anything else is not one. (Checked before DateFormatter,
        // which leaks memory on characters outside the Basic Multilingual Plane: found by fuzzing.)
        guard trimmed.utf8.count <= 64, trimmed.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return sane(max(0, date.timeIntervalSince(now))) }
        }
        return nil
    }

    /// `seconds` when it is a finite, non-negative number; nil otherwise.
    public static func sane(_ seconds: Double?) -> Double? {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return nil }
        return seconds
    }
}

/// How long finished work is kept: a whole number of days, hours, minutes or seconds, written
/// `90d`, `12h`, `30m` or `10s` (`0s` = everything already finished).
public struct RetentionAge: Sendable, Equatable, CustomStringConvertible {
    /// The age in seconds.
    public let seconds: Double
    /// The text it was parsed from, for messages.
    public let description: String

    /// Parses `text` (`<whole number><d|h|m|s>`); nil when it is not such a duration.
    public init?(_ text: String) {
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 0, text.first?.isNumber == true else {
            return nil
        }
        let factor: Double
        switch unit {
        case "d": factor = 86_400
        case "h": factor = 3_600
        case "m": factor = 60
        case "s": factor = 1
        default: return nil
        }
        seconds = Double(count) * factor
        description = text
    }
}

/// The documented limits on what a provider may answer. They bound the memory an answer can
/// take, whatever the provider sends.
public enum ProviderAnswerLimits {
    /// The largest answer body read: 256 KiB. A longer body is not read further (the
    /// connection is closed): its answer is unreadable, and a 2xx one leaves the account
    /// possibly created.
    public static let maxBodyBytes = 256 * 1024
    /// The longest value accepted for an identifier the provider gives back (`api_key`,
    /// `api_login`, `token`, `email`): 1 KiB of UTF-8. A longer one makes the answer unreadable.
    public static let maxValueBytes = 1024
    /// The longest provider message or code kept, in characters; longer ones are cut.
    public static let maxMessageCharacters = 512
    /// The most pages of SMSPartner's sub-account list read to find one account (200,000
    /// accounts at 20 a page).
    public static let maxListPages = 10_000

    /// `text` cut to `maxMessageCharacters` (with an ellipsis when cut).
    static func clipped(_ text: String) -> String {
        guard text.count > maxMessageCharacters else { return text }
        return String(text.prefix(maxMessageCharacters)) + "…"
    }
}

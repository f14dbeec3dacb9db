/// Random identifiers and keys for the sub-accounts the sandbox creates.
enum SecretGenerator {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let lowercase = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// `count` random characters from `[A-Za-z0-9]`, from the system's secure generator.
    static func alphanumeric(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphanumerics.randomElement(using: &generator)! })
    }

    /// `count` random characters from `[a-z0-9]`, from the system's secure generator.
    static func lowercaseAlphanumeric(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in lowercase.randomElement(using: &generator)! })
    }

    /// A new Octopush sub-account login, `<20 chars>@sub-accounts.com`.
    static func octopushLogin() -> String { lowercaseAlphanumeric(20) + "@sub-accounts.com" }

    /// A new email for an SMSPartner `simple` sub-account given none, `sub-<12 chars>@sub.smspartner.fr`.
    static func smspartnerEmail() -> String { "sub-" + lowercaseAlphanumeric(12) + "@sub.smspartner.fr" }

    /// A new API key or token: 32 characters from `[A-Za-z0-9]`.
    static func apiKey() -> String { alphanumeric(32) }
}

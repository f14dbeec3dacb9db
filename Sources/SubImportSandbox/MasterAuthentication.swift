import Foundation

/// How the sandbox recognises master users. Credentials are compared here and never stored,
/// logged nor echoed.
enum MasterAuthentication {
    /// The Octopush master login of a request: from the `api-login` + `api-key` headers, or else
    /// from HTTP Basic auth `login:key`. `nil` when missing, empty, or not the configured ones.
    static func octopushMaster(_ request: SandboxRequest, _ configuration: SandboxConfiguration) -> String? {
        var login = request.header("api-login") ?? ""
        var key = request.header("api-key") ?? ""
        if login.isEmpty || key.isEmpty, let basic = basicCredentials(request.header("Authorization")) {
            (login, key) = basic
        }
        guard !login.isEmpty, !key.isEmpty else { return nil }
        if let expected = configuration.apiLogin, expected != login { return nil }
        if let expected = configuration.apiKey, expected != key { return nil }
        return login
    }

    /// The `login:key` pair of an `Authorization: Basic ...` header.
    static func basicCredentials(_ header: String?) -> (String, String)? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Outcome of an SMSPartner key check.
    enum SMSPartnerCheck: Equatable {
        /// Accepted; the master's id (a fingerprint of the key, never the key).
        case master(String)
        /// No key or an empty one (code 1).
        case missing
        /// Not the configured key (code 10).
        case invalid
    }

    /// Checks an SMSPartner `apiKey` against the configuration.
    static func smspartnerMaster(_ apiKey: String?, _ configuration: SandboxConfiguration) -> SMSPartnerCheck {
        guard let apiKey, !apiKey.isEmpty else { return .missing }
        if let expected = configuration.smspartnerKey, expected != apiKey { return .invalid }
        return .master(smspartnerMasterID(apiKey))
    }

    /// `smspartner-` + 16 hex digits of a scrambled 64-bit hash of `apiKey`.
    static func smspartnerMasterID(_ apiKey: String) -> String {
        let hash = SandboxFaultInjector.splitMix(SandboxFaultInjector.fnv1a("smspartner\u{1F}" + apiKey))
        let hex = String(hash, radix: 16)
        return "smspartner-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

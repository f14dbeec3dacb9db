/// How SMSPartner answers become `ProviderAnswer`s. Pure (no I/O), so the fuzzer can drive it.
enum SMSPartnerAnswerReading {
    /// What one page of `GET /v1/subaccount/list` says about the account looked for.
    enum ListPage: Equatable {
        /// The account is on this page.
        case found(apiLogin: String, apiKey: String)
        /// Not on this page, which listed `listed` accounts of `total` (when the page says).
        case notFound(listed: Int, total: Int?)
        /// The page is an error answer.
        case failed(ProviderAnswer)
    }

    /// A create answer: a 2xx `{"success": true, "subaccount": {"email", "token"}}` is
    /// `created`; a 2xx with `"success": false` is the business error it says; any other 2xx
    /// (values missing or over `ProviderAnswerLimits.maxValueBytes`, a body that is not JSON or
    /// over the body limit) is the "created, but unreadable" error; anything else is the error.
    static func create(_ answer: JSONAnswer) -> ProviderAnswer {
        guard answer.isSuccessStatus else { return error(answer) }
        if let unreadable = answer.unreadable { return answer.createdButUnreadable(unreadable) }
        switch answer.object["success"] as? Bool {
        case false?: return error(answer)
        case nil: return answer.createdButUnreadable("no success flag")
        case true?: break
        }
        let subaccount = answer.object["subaccount"] as? [String: Any] ?? [:]
        switch JSONAnswer.identifiers(["email", "token"], in: subaccount) {
        case .failure(let failure): return answer.createdButUnreadable("subaccount " + failure.reason)
        case .success(let values): return .created(apiLogin: values[0], apiKey: values[1])
        }
    }

    /// Looks for `email` (case-insensitive) on one list page. Entries whose email or token is
    /// not a usable identifier (see `JSONAnswer.identifiers`) are skipped.
    static func listPage(_ answer: JSONAnswer, email: String) -> ListPage {
        guard answer.isSuccessStatus, answer.object["success"] as? Bool != false else {
            return .failed(error(answer))
        }
        let accounts = answer.object["data"] as? [[String: Any]] ?? []
        let wanted = email.lowercased()
        for account in accounts {
            guard case .success(let values) = JSONAnswer.identifiers(["email", "token"], in: account),
                values[0].lowercased() == wanted
            else { continue }
            return .found(apiLogin: values[0], apiKey: values[1])
        }
        return .notFound(listed: accounts.count, total: answer.object["total"] as? Int)
    }

    /// An error answer: `{"success": false, "code", "message"}`, with the `error`/`errors`
    /// arrays' messages appended (the whole message cut to the message limit).
    static func error(_ answer: JSONAnswer) -> ProviderAnswer {
        var details: [String] = []
        var length = 0
        for key in ["error", "errors"] {
            for item in answer.object[key] as? [[String: Any]] ?? [] {
                guard length < ProviderAnswerLimits.maxMessageCharacters else { break }
                guard let message = item["message"] as? String else { continue }
                let detail = ProviderAnswerLimits.clipped(
                    (item["elementId"] as? String).map { "\($0): \(message)" } ?? message)
                length += detail.count
                details.append(detail)
            }
        }
        return answer.error(details: details)
    }
}

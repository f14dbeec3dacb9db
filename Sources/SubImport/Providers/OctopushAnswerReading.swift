/// How Octopush answers become `ProviderAnswer`s. Pure (no I/O), so the fuzzer can drive it.
enum OctopushAnswerReading {
    /// A create answer: `201 {"api_key", "api_login"}` is `created`; any other 2xx (no key, a
    /// value over `ProviderAnswerLimits.maxValueBytes`, a body that is not JSON or over the body
    /// limit) is the "created, but unreadable" error; anything else is the error it says.
    static func create(_ answer: JSONAnswer) -> ProviderAnswer {
        guard answer.isSuccessStatus else { return answer.error() }
        if let unreadable = answer.unreadable { return answer.createdButUnreadable(unreadable) }
        switch JSONAnswer.identifiers(["api_key", "api_login"], in: answer.object) {
        case .failure(let failure): return answer.createdButUnreadable(failure.reason)
        case .success(let values): return .created(apiLogin: values[1], apiKey: values[0])
        }
    }

    /// An edit answer of the sub-account `login`: any 2xx is `updated` (its body is not read).
    static func update(_ answer: JSONAnswer, login: String) -> ProviderAnswer {
        answer.isSuccessStatus ? .updated(apiLogin: login) : answer.error()
    }
}

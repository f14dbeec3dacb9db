// libFuzzer target for provider answer reading (built by scripts/fuzz.sh with the pure answer
// files of Sources/SubImport/Providers). Input: one byte choosing the reader and the HTTP status,
// then the body. Reading must never trap, and what it keeps must stay within the documented
// limits: identifiers of at most `maxValueBytes`, messages cut near `maxMessageCharacters`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProviderAnswer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let statuses = [200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503]
    let status = statuses[Int(selector >> 4) % statuses.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let answer = JSONAnswer(
        status: status, body: body, bodyOverLimit: selector & 0x08 != 0,
        retryAfter: RetryAfter.seconds(from: String(decoding: body.prefix(64), as: UTF8.self)))
    switch selector & 0x07 {
    case 0, 1: check(OctopushAnswerReading.create(answer))
    case 2: check(OctopushAnswerReading.update(answer, login: "sub@sub-accounts.com"))
    case 3, 4: check(SMSPartnerAnswerReading.create(answer))
    case 5, 6:
        switch SMSPartnerAnswerReading.listPage(answer, email: "wanted@example.fr") {
        case .found(let login, let key): check(.created(apiLogin: login, apiKey: key))
        case .notFound(let listed, _): if listed < 0 { fatalError("negative count") }
        case .failed(let error): check(error)
        }
    default: check(SMSPartnerAnswerReading.error(answer))
    }
    return 0
}

/// Traps when `answer` breaks a documented limit.
private func check(_ answer: ProviderAnswer) {
    let limit = ProviderAnswerLimits.maxValueBytes
    switch answer {
    case .created(let login, let key), .reconciled(let login, let key):
        if login.utf8.count > limit || key.utf8.count > limit || login.isEmpty || key.isEmpty {
            fatalError("identifier over the limit")
        }
    case .unreadableSuccess(let status, let message):
        if !(200..<300).contains(status) { fatalError("unreadable success of a non-2xx") }
        if message.count > 2 * ProviderAnswerLimits.maxMessageCharacters { fatalError("message not cut") }
    case .error(_, let code, let message, let retryAfter):
        if (code?.count ?? 0) > ProviderAnswerLimits.maxMessageCharacters + 1 { fatalError("code not cut") }
        if message.count > ProviderAnswerLimits.maxMessageCharacters + 1 { fatalError("message not cut") }
        if let retryAfter, retryAfter.isNaN { fatalError("NaN Retry-After") }
    case .updated, .transport: break
    }
}

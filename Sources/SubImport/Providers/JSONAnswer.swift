import Foundation

/// A provider's answer with its body read as a JSON object. Pure (no I/O), so the fuzzer can
/// drive it: whatever the bytes, reading them never traps and keeps no more than they hold.
struct JSONAnswer {
    var status: Int
    /// The body's top-level object; empty when the body is not a JSON object.
    var object: [String: Any]
    /// `Retry-After` in seconds from now, when present and readable.
    var retryAfter: Double?
    /// Why the body could not be read as a JSON object (over the size limit, empty, not JSON);
    /// nil when it was read.
    var unreadable: String?
    /// The body was longer than `ProviderAnswerLimits.maxBodyBytes` and was not read.
    var bodyOverLimit: Bool

    /// Reads `body` (which the transport left empty when `bodyOverLimit`).
    init(status: Int, body: [UInt8], bodyOverLimit: Bool = false, retryAfter: Double? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.bodyOverLimit = bodyOverLimit
        object = [:]
        if bodyOverLimit {
            unreadable = "the answer body is over \(ProviderAnswerLimits.maxBodyBytes / 1024) KiB"
        } else if let read = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
            object = read
        } else {
            unreadable = body.isEmpty ? "the answer has no body" : "the answer body is not a JSON object"
        }
    }

    var isSuccessStatus: Bool { (200..<300).contains(status) }

    /// The body's `code`, as text (numbers and strings alike, cut to the message limit), or nil.
    var code: String? { object["code"].map { ProviderAnswerLimits.clipped("\($0)") } }

    /// The error answer this is: the body's code and `message` (the HTTP status when the body
    /// has none), plus `details` when given; the message is cut to the message limit.
    func error(details: [String] = []) -> ProviderAnswer {
        var message = (object["message"] as? String).map(ProviderAnswerLimits.clipped) ?? "HTTP \(status)"
        if !details.isEmpty { message += " (" + details.joined(separator: "; ") + ")" }
        if bodyOverLimit, let unreadable { message += " (\(unreadable))" }
        return .error(
            status: status, code: code, message: ProviderAnswerLimits.clipped(message), retryAfter: retryAfter)
    }

    /// The answer to a 2xx whose body does not say what was created: the account may exist
    /// and its key is unknown (`unreadableSuccess`), saying why.
    func createdButUnreadable(_ reason: String) -> ProviderAnswer {
        .unreadableSuccess(status: status, message: "created, but the answer is unreadable: \(reason)")
    }

    /// The string values named `names` in `object`, in order, or why they cannot be used: one is
    /// absent, not a string, empty, or longer than `ProviderAnswerLimits.maxValueBytes`.
    static func identifiers(_ names: [String], in object: [String: Any]) -> Result<[String], UnreadableValue> {
        var values: [String] = []
        for name in names {
            guard let value = object[name] as? String, !value.isEmpty else {
                return .failure(UnreadableValue(reason: "no \(name) string"))
            }
            guard value.utf8.count <= ProviderAnswerLimits.maxValueBytes else {
                return .failure(
                    UnreadableValue(reason: "\(name) is longer than \(ProviderAnswerLimits.maxValueBytes) bytes"))
            }
            values.append(value)
        }
        return .success(values)
    }
}

/// Why a value of an answer cannot be used.
struct UnreadableValue: Error {
    var reason: String
}

/// The journal's line format written by hand: the JSON text `JSONEncoder` would write for a
/// `JournaledAnswer` (keys of absent values left out), at a fraction of its cost. `JSONDecoder`
/// reads it back (`AnswerJournal.entries`).
extension JournaledAnswer {
    /// This answer as one line of JSON (without the newline).
    var jsonLine: [UInt8] {
        var line = JSONLineWriter()
        line.int("jobID", Int(jobID))
        line.string("leaseOwner", leaseOwner)
        line.int("claimedAttempts", claimedAttempts)
        line.object("settlement") { out in
            out.string("kind", settlement.kind.rawValue)
            out.string("state", settlement.state?.rawValue)
            out.string("errorCode", settlement.errorCode)
            out.string("errorMessage", settlement.errorMessage)
            out.string("note", settlement.note)
            out.string("apiLogin", settlement.apiLogin)
            out.string("apiKey", settlement.apiKey)
            out.double("at", settlement.at)
            out.bool("countsAsFailure", settlement.countsAsFailure)
            out.bool("ambiguous", settlement.ambiguous)
        }
        if let attempt {
            line.object("attempt") { out in
                out.double("startedAt", attempt.startedAt)
                out.double("finishedAt", attempt.finishedAt)
                out.string("failureClass", attempt.failureClass.rawValue)
                out.int("httpStatus", attempt.httpStatus)
                out.string("errorCode", attempt.errorCode)
                out.string("message", attempt.message)
                out.string("worker", attempt.worker)
            }
        }
        return line.finished()
    }
}

/// Writes one JSON object member by member; absent (nil) values are left out.
private struct JSONLineWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    private mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONText.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        JSONText.appendQuoted(value, to: &bytes)
    }

    mutating func int(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        bytes += Array(String(value).utf8)
    }

    /// A non-finite number (never a timestamp in practice) is written as null: read back as absent.
    mutating func double(_ name: String, _ value: Double?) {
        guard let value else { return }
        key(name)
        bytes += Array((value.isFinite ? "\(value)" : "null").utf8)
    }

    mutating func bool(_ name: String, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bytes += Array((value ? "true" : "false").utf8)
    }

    mutating func object(_ name: String, _ members: (inout JSONLineWriter) -> Void) {
        key(name)
        var nested = JSONLineWriter()
        members(&nested)
        bytes += nested.finished()
    }

    func finished() -> [UInt8] {
        bytes + [UInt8(ascii: "}")]
    }
}

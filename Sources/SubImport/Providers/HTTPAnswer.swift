import NIOHTTP1

/// A raw HTTP answer.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// The body; empty when it was longer than the transport's limit (see `bodyOverLimit`).
    public var body: [UInt8]
    /// The body was longer than `ProviderAnswerLimits.maxBodyBytes` and was not read.
    public var bodyOverLimit = false

    /// The first value of header `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.0, name) }?.1
    }

    /// Whether two header names are the same, ignoring ASCII case (no string is made).
    private static func sameName(_ one: String, _ other: String) -> Bool {
        one.utf8.elementsEqual(other.utf8) { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

extension HTTPAnswer {
    /// The answer of a response head, with `body` (empty and `bodyOverLimit` when it was too long).
    init(_ head: HTTPResponseHead, body: [UInt8], bodyOverLimit: Bool = false) {
        self.init(
            status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: body,
            bodyOverLimit: bodyOverLimit)
    }
}

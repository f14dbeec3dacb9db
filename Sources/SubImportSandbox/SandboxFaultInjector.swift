/// What the sandbox does to one create/edit request instead of (or after) serving it.
public enum SandboxFault: String, Sendable, Equatable, CaseIterable {
    /// Serve the request normally.
    case none
    /// Answer `429` with `Retry-After`; nothing is created or changed.
    case throttle
    /// Answer `503`; nothing is created or changed.
    case fail
    /// Carry the request out, then answer `502 Bad Gateway`.
    case ambiguousBadGateway
    /// Carry the request out, then close the connection without any response.
    case ambiguousDrop
}

/// Decides the injected faults of a ``SandboxServer``, deterministically.
///
/// A decision is a pure function of (seed, endpoint, identity, occurrence): it does not depend
/// on a shared random stream, so the same seed and the same requests give the same faults
/// whatever the order or concurrency in which they arrive. `occurrence` is how many times the
/// same (endpoint, identity) was seen before, so a retry of a throttled row gets a fresh draw.
///
/// The rates are applied in order: throttle, then fail, then ambiguous (each with its own
/// independent draw); an ambiguous outcome is a dropped connection with probability
/// `ambiguousDropShare` (half by default), a 502 otherwise.
///
/// The server asks for a decision for each request that passed authentication on these
/// endpoints, with these identities (the body's values as sent, read as text; absent = empty):
/// - ``octopushCreate``: `first_name|last_name|company_name`
/// - ``octopushEdit``: the sub-account login of the path
/// - ``smspartnerCreate``: the lower-cased `parameters.email`, or when there is none
///   `firstname|lastname|title`
public struct SandboxFaultInjector: Sendable, Equatable {
    /// Endpoint name of Octopush `POST /v1/public/subaccount/create`.
    public static let octopushCreate = "octopush.create"
    /// Endpoint name of Octopush `PATCH /v1/public/subaccount/{login}/edit`.
    public static let octopushEdit = "octopush.edit"
    /// Endpoint name of SMSPartner `POST /v1/subaccount/create`.
    public static let smspartnerCreate = "smspartner.create"

    /// Seed of every decision.
    public var seed: UInt64
    /// Probability of ``SandboxFault/throttle``.
    public var throttleRate: Double
    /// Probability of ``SandboxFault/fail`` (when not throttled).
    public var failRate: Double
    /// Probability of an ambiguous outcome (when neither throttled nor failed).
    public var ambiguousRate: Double
    /// Share of the ambiguous outcomes that are ``SandboxFault/ambiguousDrop`` (the rest are 502s).
    public var ambiguousDropShare: Double

    /// Creates an injector; rates are probabilities in `0...1` (values outside are clamped).
    public init(
        seed: UInt64, throttleRate: Double = 0, failRate: Double = 0, ambiguousRate: Double = 0,
        ambiguousDropShare: Double = 0.5
    ) {
        self.seed = seed
        self.throttleRate = throttleRate
        self.failRate = failRate
        self.ambiguousRate = ambiguousRate
        self.ambiguousDropShare = ambiguousDropShare
    }

    /// The injector configured by `configuration`.
    public init(_ configuration: SandboxConfiguration) {
        self.init(
            seed: configuration.seed,
            throttleRate: configuration.throttleRate,
            failRate: configuration.failRate,
            ambiguousRate: configuration.ambiguousRate,
            ambiguousDropShare: configuration.ambiguousDropShare
        )
    }

    /// Whether no fault can ever be injected.
    public var isInert: Bool { throttleRate <= 0 && failRate <= 0 && ambiguousRate <= 0 }

    /// The fault for the `occurrence`-th (0-based) request of `identity` on `endpoint`.
    ///
    /// Guarantees: a rate `>= 1` always fires (unless an earlier fault in the order did), a rate
    /// `<= 0` never fires, and the result depends only on the arguments and the injector's fields.
    public func decide(endpoint: String, identity: String, occurrence: Int) -> SandboxFault {
        let base = Self.fnv1a("\(endpoint)\u{1F}\(identity)\u{1F}\(occurrence)")
        func draw(_ salt: UInt64) -> Double {
            let mixed = Self.splitMix(base ^ Self.splitMix(seed &+ salt &* 0x9E37_79B9_7F4A_7C15))
            return Double(mixed >> 11) / Double(UInt64(1) << 53)
        }
        if draw(1) < throttleRate { return .throttle }
        if draw(2) < failRate { return .fail }
        if draw(3) < ambiguousRate { return draw(4) < 1 - ambiguousDropShare ? .ambiguousBadGateway : .ambiguousDrop }
        return .none
    }

    /// 64-bit FNV-1a of the UTF-8 bytes of `text`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The SplitMix64 finalizer: a bijective scramble of `value`.
    static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

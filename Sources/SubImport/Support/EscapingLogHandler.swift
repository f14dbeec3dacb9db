import Logging

/// A log handler that passes every message and metadata value through
/// `ControlCharacters.escaped` before the handler it wraps writes it: one log event is always
/// one line, whatever file name, CSV cell or provider message it quotes.
public struct EscapingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(wrapping handler: any LogHandler) {
        wrapped = handler
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: ControlCharacters.escaped(event.message.description))
        event.metadata = event.metadata?.mapValues { Self.escaped($0) }
        wrapped.log(event: event)
    }

    private static func escaped(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): return .string(ControlCharacters.escaped(text))
        case .stringConvertible(let convertible): return .string(ControlCharacters.escaped(convertible.description))
        case .array(let values): return .array(values.map(escaped))
        case .dictionary(let values): return .dictionary(values.mapValues(escaped))
        @unknown default: return .string(ControlCharacters.escaped(value.description))
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }
}

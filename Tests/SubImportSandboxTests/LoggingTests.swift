import AsyncHTTPClient
import Foundation
import Logging
import SubImportSandbox
import Testing

/// Collects every log message, with its metadata, as text.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in CaptureHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CaptureHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(all)")
    }
}

@Suite struct LoggingTests {
    @Test func logsMethodPathAndStatusButNeverASecret() async throws {
        let capture = LogCapture()
        let server = try await SandboxServer.start(SandboxConfiguration(ambiguousRate: 0), logger: capture.logger)
        let headers = ["api-login": "boss-login@email.org", "api-key": "TopSecretMasterKey"]
        let created = try await octopushCreate(server, octopushBody(password: "HiddenPassword1"), headers: headers)
        let login = try #require(created.string("api_login"))
        let basic = "Basic " + Data("basic-login@email.org:BasicSecretKey".utf8).base64EncodedString()
        _ = try await send(
            .PATCH, server.baseURL + "/v1/public/subaccount/\(login)/edit", headers: ["Authorization": basic],
            json: #"{"password": "OtherHiddenPassword"}"#)
        _ = try await smspartnerCreate(server, ["apiKey": "SmsPartnerSecretKey", "type": "simple"])
        _ = try await send(.GET, server.baseURL + "/v1/subaccount/list?apiKey=QuerySecretKey&page=1")
        await server.stop()

        let text = capture.text
        #expect(text.contains("POST"))
        #expect(text.contains("/v1/public/subaccount/create"))
        #expect(text.contains("201"))
        #expect(text.contains("/v1/subaccount/list"))
        for secret in [
            "TopSecretMasterKey", "HiddenPassword1", "BasicSecretKey", "OtherHiddenPassword", "SmsPartnerSecretKey",
            "QuerySecretKey", Data("basic-login@email.org:BasicSecretKey".utf8).base64EncodedString(),
            created.string("api_key") ?? "?",
        ] {
            #expect(!text.contains(secret), "\(secret) was logged")
        }
    }
}

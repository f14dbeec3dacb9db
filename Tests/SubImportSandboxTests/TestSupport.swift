import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SubImportSandbox
import Testing

/// A logger that prints nothing, so test output stays readable.
let quietLogger = Logger(label: "sandbox-tests") { _ in SwiftLogNoOpLogHandler() }

/// The Octopush master credentials every test uses unless it says otherwise.
let masterHeaders = ["api-login": "master@email.org", "api-key": "master-key-123"]

/// An HTTP answer: status, headers and the body read as a JSON object or array.
struct Answer: @unchecked Sendable {
    var status: Int
    var headers: [String: String]
    var text: String
    var json: Any?

    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    /// `object[key]` as a string.
    func string(_ key: String) -> String? { object[key] as? String }
    /// `object[key]` as an integer.
    func int(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
    /// `object[key]` as a JSON object.
    func child(_ key: String) -> [String: Any] { object[key] as? [String: Any] ?? [:] }
}

/// Starts a sandbox with `configuration`, runs `body`, and always stops the sandbox.
func withSandbox(
    _ configuration: SandboxConfiguration = SandboxConfiguration(),
    _ body: (SandboxServer) async throws -> Void
) async throws {
    let server = try await SandboxServer.start(configuration, logger: quietLogger)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Sends one request over loopback with AsyncHTTPClient and reads the whole answer.
/// (AsyncHTTPClient retries a refused connection until `timeout`: requests expected to find no
/// server pass a short one.)
func send(
    _ method: HTTPMethod,
    _ url: String,
    headers: [String: String] = [:],
    json: String? = nil,
    timeout: TimeAmount = .seconds(15)
) async throws -> Answer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let buffer = try await response.body.collect(upTo: 4 << 20)
    let text = String(buffer: buffer)
    var answerHeaders: [String: String] = [:]
    for header in response.headers { answerHeaders[header.name.lowercased()] = header.value }
    return Answer(
        status: Int(response.status.code),
        headers: answerHeaders,
        text: text,
        json: try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    )
}

/// The JSON text of `object`.
func jsonText(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// A valid Octopush create body, with `overrides` replacing or adding members.
func octopushBody(
    first: String = "Leonardo",
    last: String = "Da Vinci",
    password: String = "secret-password",
    _ overrides: [String: Any] = [:]
) -> String {
    var body: [String: Any] = ["first_name": first, "last_name": last, "password": password]
    for (key, value) in overrides { body[key] = value }
    return jsonText(body)
}

/// Sends an Octopush create with the master credentials.
func octopushCreate(_ server: SandboxServer, _ body: String, headers: [String: String] = masterHeaders)
    async throws -> Answer
{
    try await send(.POST, server.baseURL + "/v1/public/subaccount/create", headers: headers, json: body)
}

/// Sends an SMSPartner create.
func smspartnerCreate(_ server: SandboxServer, _ body: [String: Any]) async throws -> Answer {
    try await send(.POST, server.baseURL + "/v1/subaccount/create", json: jsonText(body))
}

/// Runs `executable` with `arguments` and returns its exit status and standard output, without
/// blocking a thread of the Swift concurrency pool (the sandbox under test needs them to
/// answer). Meant for commands with small outputs.
func runProcess(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    return try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in
            let data = output.fileHandleForReading.readDataToEndOfFile()
            continuation.resume(returning: (finished.terminationStatus, String(decoding: data, as: UTF8.self)))
        }
        do {
            try process.run()
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

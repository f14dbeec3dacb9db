import Foundation
import Hummingbird
import Logging

/// Routes every request of a ``SandboxServer``: the provider endpoints, `/_sandbox/accounts`,
/// and a provider-shaped 404 for anything else. Applies the configured latency to provider
/// requests, counts every request, and logs method, path and status only (never a query string,
/// a header or a body, so never a credential or a password).
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxRequestContext

    /// The largest request body read; larger bodies are answered 413.
    static let maxBodySize = 1 << 20

    let environment: SandboxEnvironment
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let isProviderRequest = request.uri.path.hasPrefix("/v1/")
        if isProviderRequest { environment.traffic.begin() }
        defer { if isProviderRequest { environment.traffic.end() } }
        let reply: SandboxReply
        do {
            let buffer = try await request.collectBody(upTo: Self.maxBodySize)
            let incoming = SandboxRequest(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
                headers: request.headers, body: Array(buffer.readableBytesView))
            reply = await route(incoming)
        } catch {
            reply = .json(
                status: 413, body: .object([JSONMember("code", 413), JSONMember("message", "Request body too large")]))
        }
        environment.traffic.countRequest()
        if environment.configuration.answerDelayMs > 0, isProviderRequest {
            try? await Task.sleep(for: .milliseconds(environment.configuration.answerDelayMs))
        }
        logger.debug(
            "sandbox request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .string(reply.status.map(String.init) ?? "dropped"),
            ])
        if let response = reply.response() { return response }
        // Dropped connection: close it before Hummingbird writes anything, so the client sees
        // the connection end with no response at all. The response below is never delivered.
        try? await context.channel.close()
        return Response(status: .badGateway)
    }

    /// The reply to `request`.
    func route(_ request: SandboxRequest) async -> SandboxReply {
        let segments = request.segments
        if segments.first == "_sandbox" {
            if request.method == "GET", segments == ["_sandbox", "accounts"] { return accountsReply() }
            if request.method == "GET", segments == ["_sandbox", "stats"] { return statsReply() }
            return .octopush(.routeNotFound)
        }
        if environment.configuration.latencyMs > 0 {
            try? await Task.sleep(for: .milliseconds(environment.configuration.latencyMs))
        }
        let octopush = OctopushRoutes(environment: environment)
        let smspartner = SMSPartnerRoutes(environment: environment)
        let octopushPrefix = ["v1", "public", "subaccount"]
        if segments.starts(with: octopushPrefix) {
            switch (request.method, segments.count) {
            case ("POST", 4) where segments[3] == "create": return octopush.create(request)
            case ("PATCH", 5) where segments[4] == "edit": return octopush.edit(request, login: segments[3])
            case ("GET", 4) where segments[3] != "create": return octopush.information(request, login: segments[3])
            default: return .octopush(.routeNotFound)
            }
        }
        if segments.starts(with: ["v1", "subaccount"]), segments.count == 3 {
            let reply: SandboxReply
            switch (request.method, segments[2]) {
            case ("POST", "create"): reply = smspartner.create(request)
            case ("GET", "list"): reply = smspartner.list(request)
            case ("DELETE", "remove"): reply = smspartner.remove(request)
            default: reply = .smspartner(.routeNotFound)
            }
            return environment.configuration.smspartnerErrorsWithHTTP200 ? reply.businessErrorAsHTTP200() : reply
        }
        return .octopush(.routeNotFound)
    }

    private func statsReply() -> SandboxReply {
        let data = (try? JSONEncoder().encode(environment.stats)) ?? Data("{}".utf8)
        return .encoded(status: 200, json: String(decoding: data, as: UTF8.self))
    }

    private func accountsReply() -> SandboxReply {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(environment.store.all())) ?? Data("[]".utf8)
        return .encoded(status: 200, json: String(decoding: data, as: UTF8.self))
    }
}

import ArgumentParser
import Foundation
import SubImportSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the built-in provider emulator on loopback in the foreground (until SIGINT/SIGTERM).")

    @Option(help: "Port to listen on (0 = a free port).")
    var port = 8089

    @Option(name: .customLong("api-login"), help: "Accept only this Octopush api-login (default: any non-empty).")
    var apiLogin: String?

    @Option(name: .customLong("api-key"), help: "Accept only this Octopush api-key (default: any non-empty).")
    var apiKey: String?

    @Option(name: .customLong("smspartner-key"), help: "Accept only this SMSPartner apiKey (default: any non-empty).")
    var smspartnerKey: String?

    @OptionGroup var behaviour: SandboxBehaviourOptions<StandaloneSandboxNaming>

    @Option(
        name: .customLong("answer-delay-ms"),
        help: "Delay between carrying out a request and answering it (the account exists meanwhile).")
    var answerDelayMs = 0

    @Option(
        name: .customLong("ambiguous-drop-share"),
        help: "Share of the ambiguous faults that drop the connection (the rest answer 502).")
    var ambiguousDropShare = 0.5

    @Flag(
        name: .customLong("smspartner-http-200-errors"),
        help: "Answer SMSPartner business errors with HTTP 200 and success:false, as the real API sometimes does.")
    var smspartnerHTTP200Errors = false

    @Option(name: .customLong("retry-after"), help: "Seconds announced in Retry-After on 429.")
    var retryAfter = 1

    @OptionGroup var log: LogOptions

    func run() async throws {
        var configuration = behaviour.applied(to: SandboxConfiguration())
        configuration.port = port
        configuration.apiLogin = apiLogin
        configuration.apiKey = apiKey
        configuration.smspartnerKey = smspartnerKey
        configuration.answerDelayMs = answerDelayMs
        configuration.ambiguousDropShare = ambiguousDropShare
        configuration.smspartnerErrorsWithHTTP200 = smspartnerHTTP200Errors
        configuration.retryAfterSeconds = retryAfter
        let server = try await SandboxServer.start(configuration, logger: log.makeLogger())
        FileHandle.standardOutput.write(Data("sandbox listening on \(server.baseURL)\n".utf8))
        let stop = AsyncStream<Void> { continuation in
            let trap = SignalTrap { continuation.yield() }
            continuation.onTermination = { _ in _ = trap }
        }
        for await _ in stop { break }
        await server.stop()
    }
}

import ArgumentParser
import Foundation
import SubImport

/// Options shared by the commands that talk to a provider or read the queue.
struct CommonOptions: ParsableArguments {
    @Option(help: "Provider: \(ProviderRegistry.all.map(\.name).joined(separator: "|")).")
    var provider = "octopush"

    @Option(
        help:
            "Import mode: create (new sub-accounts) or update (existing ones, named by an api_login column; Octopush).")
    var mode = "create"

    @Option(
        name: .customLong("smspartner-type"),
        help: "SMSPartner sub-account type for rows without one: simple|advanced (same as --default type=…).")
    var smspartnerType: String?

    @Option(
        name: .customLong("default"),
        help: ArgumentHelp(
            "Value for a column left empty or absent in the CSV, as COLUMN=VALUE (repeatable).",
            valueName: "column=value"))
    var defaults: [String] = []

    @Option(name: .customLong("base-url"), help: "Provider API scheme, host and port (documented paths are appended).")
    var baseURL: String?

    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Let --base-url be plain http:// to a host other than loopback (credentials then travel in clear).")
    var allowInsecureHTTP = false

    @Flag(help: "Start the built-in provider emulator on a free loopback port and use it (no credentials needed).")
    var sandbox = false

    @OptionGroup(title: "In-process sandbox (with --sandbox)")
    var sandboxBehaviour: SandboxBehaviourOptions<EmbeddedSandboxNaming>

    @OptionGroup var paths: StateOptions

    @Option(help: "Requests sent at the same time.")
    var concurrency = 4

    @Option(help: "Requests per second for the provider account (0 = unlimited).")
    var rate: Double = 5

    @Option(help: "Requests that may leave at once after an idle period.")
    var burst = 5

    @Option(name: .customLong("max-attempts"), help: "Transient failures a row may have before it is given up.")
    var maxAttempts = 8

    @Option(
        name: .customLong("retry-base-delay"),
        help: "First retry delay ceiling in seconds (doubles each failure, full jitter).")
    var retryBaseDelay: Double = 0.5

    @Option(name: .customLong("connect-timeout"), help: "Seconds to open a connection to the provider.")
    var connectTimeout: Double = 10

    @Option(help: "Seconds to wait for the provider's answer once connected.")
    var timeout: Double = 30

    @Flag(
        name: .customLong("no-retry-ambiguous"),
        help: "Settle rows whose request may have reached the provider as `uncertain` instead of retrying.")
    var noRetryAmbiguous = false

    @Option(
        name: .customLong("progress-every"),
        help: "Seconds between progress lines (default 0.5 on a terminal, 5 otherwise).")
    var progressEvery: Double?

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard ProviderRegistry.named(provider) != nil else {
            throw ValidationError(
                "unknown provider \(provider) (known: \(ProviderRegistry.all.map(\.name).joined(separator: ", ")))")
        }
        guard let mode = ImportMode(rawValue: mode), providerDefinition.modes.contains(mode) else {
            throw ValidationError("provider \(provider) does not support --mode \(mode)")
        }
        if smspartnerType != nil {
            guard provider.lowercased() == "smspartner" else {
                throw ValidationError("--smspartner-type is for --provider smspartner")
            }
            guard let type = smspartnerType, ["simple", "advanced"].contains(type.lowercased()) else {
                throw ValidationError("--smspartner-type must be simple or advanced (got \(smspartnerType ?? ""))")
            }
        }
        for entry in defaults {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--default takes COLUMN=VALUE (got \(entry))")
            }
        }
        do {
            _ = try providerDefinition.columns(mode: importMode).withDefaults(columnDefaults)
        } catch {
            throw ValidationError("--default: \(error)")
        }
        if let baseURL {
            do {
                try BaseURLCheck.validate(baseURL, allowInsecureHTTP: allowInsecureHTTP)
            } catch {
                throw ValidationError("\(error)")
            }
            if sandbox { throw ValidationError("--sandbox and --base-url cannot be used together") }
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard rate >= 0 else { throw ValidationError("--rate must be 0 (unlimited) or more") }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard connectTimeout > 0, timeout > 0 else {
            throw ValidationError("--connect-timeout and --timeout must be positive")
        }
    }

    var providerDefinition: any ProviderDefinition { ProviderRegistry.named(provider)! }
    var importMode: ImportMode { ImportMode(rawValue: mode) ?? .create }

    /// `--default` values by canonical column name (aliases resolved), `--smspartner-type` as `type`.
    var columnDefaults: [String: String] {
        let schema = providerDefinition.columns(mode: importMode)
        var result: [String: String] = [:]
        for entry in defaults {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let key = ColumnSchema.normalize(String(entry[..<equals]))
            let name =
                schema.columns.first { ColumnSchema.normalize($0.name) == key || $0.aliases.contains(key) }?.name
                ?? key
            result[name] = String(entry[entry.index(after: equals)...])
        }
        if let smspartnerType { result["type"] = smspartnerType.lowercased() }
        return result
    }

    var workOptions: WorkOptions {
        WorkOptions(
            concurrency: concurrency, rate: rate, burst: burst,
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: retryBaseDelay, retryAmbiguous: !noRetryAmbiguous),
            connectTimeout: connectTimeout, requestTimeout: timeout)
    }
}

/// Where the queue and the reports live.
struct StateOptions: ParsableArguments {
    @Option(help: "Queue database and work folders.")
    var state = "./.subimport"

    @Option(help: "Where reports are written.")
    var reports = "./reports"

    @Option(
        help: ArgumentHelp(
            "A shared queue for many hosts: postgres://user@host:5432/database (default: $SUBIMPORT_QUEUE_URL, else SQLite under --state). The password comes from PGPASSWORD or ~/.pgpass.",
            valueName: "url"))
    var queue: String?

    @Option(
        name: .customLong("busy-timeout"),
        help: "Seconds a write to the queue database waits for another program's lock before it is retried.")
    var busyTimeout: Double = 30

    @Option(
        name: .customLong("store-retry-limit"),
        help:
            "Seconds answers are kept (in <state>/answers.journal) while the queue database cannot be written, before stopping with exit 3."
    )
    var storeRetryLimit: Double = 120

    func validate() throws {
        guard busyTimeout >= 0, busyTimeout.isFinite, storeRetryLimit >= 0, storeRetryLimit.isFinite else {
            throw ValidationError("--busy-timeout and --store-retry-limit must be 0 or more seconds")
        }
    }

    var storeOptions: StoreOptions { StoreOptions(busyTimeout: busyTimeout, unwritableLimit: storeRetryLimit) }
}

extension StateOptions {
    /// Opens the queue and finds batch `id` (or a unique prefix of it); a missing batch is
    /// reported and exits with 2.
    func openBatch(_ id: String) throws -> (any JobQueue, Batch) {
        let store = try openQueue()
        guard let batch = try store.batch(id: id) else {
            printError("error: \(SubImportError.unknownBatch(id))")
            throw ExitCode(2)
        }
        guard batch.state != .pruned else {
            printError("error: batch \(batch.id) (\(batch.fileName)) was \(prunedText(batch))")
            throw ExitCode(2)
        }
        return (store, batch)
    }
}

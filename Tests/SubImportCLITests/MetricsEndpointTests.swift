import Foundation
import SubImport
import SubImportSandbox
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `watch --metrics-listen`: `/metrics` and `/healthz` of the real binary during a run with faults.
@Suite struct MetricsEndpointTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    static let rows = 16
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// GET `url` with a blocking-free URLSession call: the status and body.
    func get(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Evaluates `condition` every 10 ms until it holds or `timeout` seconds pass; returns whether it held.
    func eventually(timeout: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return try await condition()
    }

    /// The samples of a Prometheus text exposition: `name{labels}` → value.
    func samples(_ text: String) -> [(name: String, labels: String, value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            let brace = series.firstIndex(of: "{") ?? series.endIndex
            return (String(series[..<brace]), String(series[brace...]), value)
        }
    }

    /// The sum of the samples named `name` whose labels contain every one of `labels`.
    func total(_ text: String, _ name: String, _ labels: [String] = []) -> Double {
        samples(text).filter { sample in sample.name == name && labels.allSatisfy { sample.labels.contains($0) } }
            .reduce(0) { $0 + $1.value }
    }

    @Test func metricsMatchTheReportAfterARunWithFaults() async throws {
        let sandbox = try await SandboxServer.start(
            SandboxConfiguration(quota: 0, failRate: 0.15, throttleRate: 0.15, retryAfterSeconds: 0, seed: 11))
        let inbox = folder.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let watch = try CLI.Running(
            [
                "watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--rate", "50", "--settle", "0.2",
                "--retry-base-delay", "0.01", "--metrics-listen", "127.0.0.1:0", "--state", state, "--reports", reports,
            ],
            environment: sandboxCredentials)
        #expect(await waitUntil(timeout: 20) { watch.stderr.contains("/healthz") }, "\(watch.stderr)")
        let port = try #require(
            watch.stderr.components(separatedBy: "http://127.0.0.1:").dropFirst().first?.prefix { $0.isNumber })
        let base = "http://127.0.0.1:\(port)"
        // Healthy once the inbox, worker and report threads run (they start just after the endpoint).
        var health = (0, "")
        _ = try await eventually {
            health = try await get(base + "/healthz")
            return health.0 == 200
        }
        #expect(health == (200, "ok\n"), "\(health)")
        try Data(validRows(Self.rows).utf8).write(to: URL(fileURLWithPath: inbox + "/people.csv"))
        try Data([0x00, 0xFF, 0x10]).write(to: URL(fileURLWithPath: inbox + "/binary.csv"))
        // Scraped while rows are being worked: the endpoint answers during the run.
        #expect(await waitUntil { sandbox.requestCount() > 0 })
        let (duringStatus, during) = try await get(base + "/metrics")
        #expect(duringStatus == 200)
        #expect(during.contains("# TYPE subimport_rows gauge"))
        // A 429 halves the account's rate for a while: the gauge shows it during the run.
        let slowedDown = try await eventually {
            let rate = total(try await get(base + "/metrics").1, "subimport_effective_rate")
            return rate > 0 && rate < 50
        }
        #expect(slowedDown, "the effective rate never dropped below --rate 50 after a 429")
        #expect(await waitUntil { watch.stderr.contains("settled: \(Self.rows) created") }, "\(watch.stderr)")
        #expect(await waitUntil { watch.stderr.contains("rejected binary.csv") })
        let (_, text) = try await get(base + "/metrics")

        let store = try QueueStore(directory: state)
        let batch = try #require(try store.batches().first)
        let attempts = try (1...Self.rows).flatMap { try store.attempts(batchID: batch.id, row: $0) }
        let summary = try #require(
            (try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: reports + "/people.\(batch.id).json"))) as? [String: Any])?[
                    "summary"] as? [String: Any])
        let requests = try #require(summary["requests"] as? Int)
        #expect(requests == attempts.count)
        #expect(
            total(text, "subimport_rows_settled_total", ["status=\"created\"", "provider=\"octopush\""])
                == Double(Self.rows))
        #expect(total(text, "subimport_requests_total") == Double(requests), "\(text)")
        #expect(total(text, "subimport_request_duration_seconds_count") == Double(requests))
        for status in [429, 503] {
            let expected = attempts.filter { $0.httpStatus == status }.count
            #expect(expected > 0, "the faults happened")
            #expect(
                total(text, "subimport_requests_total", ["http_status=\"\(status)\"", "class=\"notSent\""])
                    == Double(expected))
        }
        #expect(total(text, "subimport_requests_total", ["class=\"created\""]) == Double(Self.rows))
        #expect(total(text, "subimport_limiter_wait_seconds_count") >= Double(requests))
        let rate = total(text, "subimport_effective_rate")
        #expect(rate > 0 && rate <= 50, "\(rate)")
        #expect(total(text, "subimport_files_total", ["outcome=\"picked_up\""]) == 1)
        #expect(total(text, "subimport_files_total", ["outcome=\"rejected\""]) == 1)
        for state in ["queued", "running", "retrying"] {
            #expect(
                samples(text).contains { $0.name == "subimport_rows" && $0.labels.contains(state) && $0.value == 0 })
        }
        #expect(samples(text).contains { $0.name == "subimport_oldest_pending_age_seconds" && $0.value == 0 })
        #expect(!text.contains(sandboxCredentials["OCTOPUSH_API_KEY"]! + "\""))

        if let promtool = Self.promtool {
            let checked = try runTool(promtool, ["check", "metrics"], input: folder.write("metrics.txt", text))
            #expect(checked.status == 0, "promtool: \(checked.output)")
        }
        watch.process.terminate()
        let output = await watch.finish(timeout: 30)
        #expect(output.status == 0, "\(output.stderr)")
        await sandbox.stop()
    }

    @Test func anAddressThatCannotBeBoundExitsTwo() async throws {
        let sandbox = try await SandboxServer.start()
        let inbox = folder.file("inbox")
        let output = try await CLI.run(
            [
                "watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--metrics-listen",
                "127.0.0.1:\(sandbox.port)", "--state", state, "--reports", reports,
            ],
            environment: sandboxCredentials)
        #expect(output.status == 2)
        #expect(output.stderr.contains("cannot serve metrics on 127.0.0.1:\(sandbox.port)"), "\(output.stderr)")
        await sandbox.stop()
    }
}

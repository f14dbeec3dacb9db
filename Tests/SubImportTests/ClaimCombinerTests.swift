import Dispatch
import Foundation
import Testing

@testable import SubImport

/// Workers' claims gathered into one statement on a real queue, with no thread waiting.
@Suite struct ClaimCombinerTests {
    let directory = TestDirectory()

    /// A queue holding `rows` runnable rows of account "a", and a combiner over its claims that
    /// counts its statements.
    private func combiner(rows: Int, window: Double, fullBatch: Int, aheadLimit: Int = 0) throws -> (
        ClaimCombiner, StatementCount
    ) {
        let store = try QueueStore(directory: directory.file("state"))
        _ = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: directory.write("a.csv", Fixtures.validRows(rows)))
        let statements = StatementCount()
        let owner = WorkerIdentity()
        let combiner = ClaimCombiner(window: window, fullBatch: fullBatch, aheadLimit: aheadLimit) { limit in
            statements.add(limit)
            return try store.claim(scope: WorkScope(account: "a"), owner: owner, limit: limit, leaseSeconds: 60)
        }
        return (combiner, statements)
    }

    /// Asks `count` times at once; returns the claimed rows in the order of the requests.
    private func claimAll(_ combiner: ClaimCombiner, count: Int) -> [Result<ClaimedJob?, any Error>?] {
        let results = ResultsByRequest(count: count)
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            combiner.claim { result in
                results.set(index, result)
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        return results.all
    }

    @Test func requestsWithinTheWindowAreServedByOneStatement() throws {
        let (combiner, statements) = try combiner(rows: 10, window: 5, fullBatch: 8)
        let results = claimAll(combiner, count: 8)
        #expect(statements.limits == [8])
        let rows = results.compactMap { try? $0?.get()?.row }
        #expect(rows.sorted() == Array(1...8))
    }

    @Test func requestsBeyondTheRowsLeftGetNothing() throws {
        let (combiner, statements) = try combiner(rows: 3, window: 0.01, fullBatch: 5)
        let results = claimAll(combiner, count: 5)
        #expect(statements.limits == [5])
        #expect(results.compactMap { try? $0?.get() }.count == 3)
        #expect(results.filter { if case .success(nil) = $0 { true } else { false } }.count == 2)
    }

    @Test func rowsClaimedAheadServeTheNextRequestsWithoutAStatement() throws {
        let (combiner, statements) = try combiner(rows: 20, window: 0.01, fullBatch: 1, aheadLimit: 4)
        #expect(claimAll(combiner, count: 1).compactMap { try? $0?.get()?.row } == [1])
        #expect(statements.limits == [5], "one statement claimed the request's row and 4 ahead")
        #expect(combiner.rowsClaimedAhead == 4)
        // The next request takes a row claimed ahead at once, in row order.
        #expect(claimAll(combiner, count: 1).compactMap { try? $0?.get()?.row } == [2])
        #expect(statements.limits == [5])
        // Given back, the rows left ahead are the combiner's no more.
        let left = combiner.takeRowsClaimedAhead()
        #expect(left.map(\.row).sorted() == [3, 4, 5])
        #expect(combiner.rowsClaimedAhead == 0)
    }

    @Test func aLoneRequestIsServedAfterTheWindow() throws {
        let (combiner, statements) = try combiner(rows: 2, window: 0.01, fullBatch: 8)
        let results = claimAll(combiner, count: 1)
        #expect(statements.limits == [1])
        #expect((try? results[0]?.get())??.row == 1)
    }
}

/// The limits asked of the claim statements, in order.
private final class StatementCount: @unchecked Sendable {
    private let lock = NSLock()
    private var asked: [Int] = []

    func add(_ limit: Int) { lock.withLock { asked.append(limit) } }
    var limits: [Int] { lock.withLock { asked } }
}

/// Each request's result, by request.
private final class ResultsByRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<ClaimedJob?, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<ClaimedJob?, any Error>) { lock.withLock { results[index] = result } }
    var all: [Result<ClaimedJob?, any Error>?] { lock.withLock { results } }
}

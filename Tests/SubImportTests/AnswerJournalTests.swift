import Foundation
import Logging
import Testing

@testable import SubImport

/// `AnswerRecorder` and its journal over a real queue database: what a stopped run left in the
/// journal is applied at the next start, to the claim that sent it only.
@Suite struct AnswerJournalTests {
    let directory = TestDirectory()
    var state: String { directory.file("state") }
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func claimedJob(_ store: QueueStore, owner: WorkerIdentity) throws -> (ClaimedJob, String) {
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "acct")
            .ingest(path: directory.write("q.csv", Fixtures.validRows(1)))
        let job = try #require(try store.claim(scope: WorkScope(account: "acct"), owner: owner, leaseSeconds: 60).first)
        return (job, summary.batch.id)
    }

    /// Writes an answer to the journal as a run that died before recording it would have.
    func journal(_ job: ClaimedJob, owner: WorkerIdentity, claimedAttempts: Int? = nil, key: String) throws {
        let entry = JournaledAnswer(
            jobID: job.id, leaseOwner: owner.description, claimedAttempts: claimedAttempts ?? job.attempts,
            settlement: JournaledSettlement(
                .settle(.created, errorCode: nil, errorMessage: nil, note: nil, apiLogin: "l@x", apiKey: key)),
            attempt: nil)
        try AnswerJournal(directory: state).append(lines: [Array(try JSONEncoder().encode(entry))])
    }

    func row(_ store: QueueStore, _ batchID: String) throws -> JobRecord {
        var found: JobRecord?
        try store.forEachJob(batchID: batchID) { found = $0 }
        return try #require(found)
    }

    var journalBytes: Int {
        ((try? FileManager.default.attributesOfItem(atPath: state + "/answers.journal"))?[.size] as? Int) ?? -1
    }

    @Test func anAnswerLeftInTheJournalIsAppliedAtStartAndTheJournalEmptied() throws {
        let store = try QueueStore(directory: state)
        let owner = WorkerIdentity()
        let (job, batchID) = try claimedJob(store, owner: owner)
        try journal(job, owner: owner, key: "kept-key")
        // A line cut short by a crash during its append is skipped.
        let handle = try #require(FileHandle(forWritingAtPath: state + "/answers.journal"))
        handle.seekToEndOfFile()
        handle.write(Data("{\"jobID\":".utf8))
        try handle.close()
        let mode = try FileManager.default.attributesOfItem(atPath: state + "/answers.journal")[.posixPermissions]
        #expect(mode as? Int == 0o600)

        let recorder = AnswerRecorder(store: store, logger: Self.logger)
        try recorder.start()
        let settled = try row(store, batchID)
        #expect(settled.state == .created)
        #expect(settled.apiKey == "kept-key")
        #expect(journalBytes == 0, "applied and checkpointed: the key leaves the journal")
        recorder.finish()
    }

    @Test func anAnswerOfAnEarlierClaimIsNeverAppliedToALaterOne() throws {
        let store = try QueueStore(directory: state)
        let owner = WorkerIdentity()
        let (job, batchID) = try claimedJob(store, owner: owner)
        try journal(job, owner: owner, claimedAttempts: job.attempts - 1, key: "stale-key")
        let recorder = AnswerRecorder(store: store, logger: Self.logger)
        try recorder.start()
        #expect(try row(store, batchID).state == .running)
        #expect(journalBytes == 0)
    }

    @Test func aJournalThatIsASymbolicLinkIsRefused() throws {
        let store = try QueueStore(directory: state)
        let target = directory.write("elsewhere", "")
        try FileManager.default.createSymbolicLink(atPath: state + "/answers.journal", withDestinationPath: target)
        #expect(throws: (any Error).self) { try AnswerRecorder(store: store, logger: Self.logger).start() }
        #expect(try String(contentsOfFile: target, encoding: .utf8).isEmpty)
    }
}

/// The hand-written journal line reads back as the answer it was written from.
@Suite struct JournalLineTests {
    func canonical(_ answer: JournaledAnswer) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(answer), as: UTF8.self)
    }

    @Test func everyKindOfAnswerReadsBackUnchanged() throws {
        let attempt = AttemptRecord(
            startedAt: 1_796_022_127.3286753, finishedAt: 1_796_022_127.5, failureClass: .ambiguous, httpStatus: 503,
            errorCode: "x\"y", message: "line\nbreak \u{1} é ✓", worker: "host:42:abc")
        let settlements: [Settlement] = [
            .settle(.created, errorCode: nil, errorMessage: nil, note: "n\\o", apiLogin: "l@x", apiKey: "k\"ey"),
            .retry(at: 1e-3, errorCode: "429", errorMessage: nil, note: nil, countsAsFailure: false, ambiguous: true),
            .release,
        ]
        for settlement in settlements {
            for record in [attempt, nil] {
                let answer = JournaledAnswer(
                    jobID: (7 << 32) | 12, leaseOwner: "owner \u{7f}", claimedAttempts: 3,
                    settlement: JournaledSettlement(settlement), attempt: record.map(JournaledAttempt.init))
                let decoded = try JSONDecoder().decode(JournaledAnswer.self, from: Data(answer.jsonLine))
                #expect(try canonical(decoded) == canonical(answer))
                #expect(decoded.settlement.settlement == settlement)
            }
        }
    }
}

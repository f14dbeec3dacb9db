import ArgumentParser
import SubImport

/// A comma-separated list of report statuses, like `failed,uncertain` (`--status`).
struct StatusList: ExpressibleByArgument, Sendable {
    let statuses: [String]

    init?(argument: String) {
        let names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !names.isEmpty, names.allSatisfy(JobState.reportStatuses.contains) else { return nil }
        statuses = names
    }

    var defaultValueDescription: String { statuses.joined(separator: ",") }

    static var defaultCompletionKind: CompletionKind { .list(JobState.reportStatuses) }

    /// Whether `status` is in the list.
    func contains(_ status: String) -> Bool { statuses.contains(status) }

    /// The settled job states named (`pending` names no settled state).
    var jobStates: [JobState] { statuses.compactMap(JobState.init(rawValue:)) }
}

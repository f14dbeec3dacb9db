import Foundation
import SubImport

/// CSV text helpers for tests.
enum Fixtures {
    static let header = "first_name,last_name,password,company_name"

    /// `count` valid, distinct Octopush rows with a header.
    static func validRows(_ count: Int, prefix: String = "Person") -> String {
        var lines = [header]
        for index in 1...max(1, count) where count > 0 {
            lines.append("\(prefix)\(index),Lastname\(index),secret-\(index)-pw,Company \(index)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static var octopush: any ProviderDefinition { OctopushProvider() }
}

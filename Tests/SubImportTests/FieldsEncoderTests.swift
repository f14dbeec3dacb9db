import Foundation
import Testing

@testable import SubImport

/// Ingest's encoder of a row's cells writes exactly what `JSONText.array` writes (what every
/// reader of `job.fields` decodes).
@Suite struct FieldsEncoderTests {
    @Test func everyRowIsEncodedAsJSONTextWouldEncodeIt() throws {
        let rows: [[String?]] = [
            [], [nil], [nil, nil], ["a"], ["", nil, ""], ["Hélène", nil, "Société Générale, SA", nil, nil],
            ["https://hooks.example.com/dr/1", nil, nil, nil, "user1@example.com", nil, nil],
            ["say \"hi\"", "back\\slash", "line\nbreak", "tab\there", "\u{1}"], ["ok", "then \"quoted\"", nil],
            [String(repeating: "x", count: 5_000), "🙂", "e\u{301}"],
        ]
        let encoder = FieldsEncoder()
        for row in rows {
            let encoded = encoder.encode(row)
            #expect(encoded == JSONText.array(row), "\(row)")
            let decoded =
                try JSONSerialization.jsonObject(with: Data(encoded.utf8), options: .fragmentsAllowed) as? [Any]
            #expect(decoded?.count == (row.lastIndex { $0 != nil }.map { $0 + 1 } ?? 0))
        }
    }
}

import Foundation
import Testing

@testable import SubImport

/// The report summary's numbers and dates are written as `String(format: "%.3f")` and
/// `ISO8601DateFormatter` wrote them, without their cost.
@Suite struct ReportNumberTests {
    @Test(arguments: [0, 0.0004, 0.0005, 1, 1.5, 12.3456, 999.9995, 86_400.25, -2.5])
    func millisecondsMatchThreeDecimals(value: Double) {
        #expect(ReportWriter.milliseconds(value) == String(format: "%.3f", value))
    }

    @Test func aNonFiniteValueIsWrittenAsZero() {
        #expect(ReportWriter.milliseconds(.nan) == "0")
        #expect(ReportWriter.milliseconds(.infinity) == "0")
    }

    @Test func datesAreWrittenAsBefore() {
        let date = Date(timeIntervalSince1970: 1_796_045_700.75)
        #expect(date.formatted(.iso8601) == ISO8601DateFormatter().string(from: date))
    }
}

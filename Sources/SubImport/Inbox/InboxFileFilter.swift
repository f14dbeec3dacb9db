/// Which names in the inbox are files to import.
public enum InboxFileFilter {
    /// Whether `name` is an inbox file to take: `*.csv` (any case), not hidden (`.name`), and not
    /// a file still being prepared (`*.part`, `*.tmp`, whatever comes before).
    public static func accepts(_ name: String) -> Bool {
        guard !name.hasPrefix("."), !name.contains("/") else { return false }
        let lower = name.lowercased()
        if lower.hasSuffix(".part") || lower.hasSuffix(".tmp") { return false }
        return lower.hasSuffix(".csv") && lower.count > ".csv".count
    }
}

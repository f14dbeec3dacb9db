/// Which names in the inbox are files to import.
public enum InboxFileFilter {
    /// Whether `name` is an inbox file to take: `*.csv` (any case) and not hidden (`.name`). A
    /// file still being prepared (`x.csv.part`, `x.csv.tmp`) does not end in `.csv`, so it waits.
    public static func accepts(_ name: String) -> Bool {
        guard !name.hasPrefix("."), !name.contains("/") else { return false }
        let lower = name.lowercased()
        return lower.hasSuffix(".csv") && lower.count > ".csv".count
    }
}

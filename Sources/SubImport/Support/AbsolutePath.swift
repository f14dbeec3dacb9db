import Foundation

extension String {
    /// This path made absolute against the current directory, with `.`, `..` and repeated slashes
    /// resolved: two spellings of one place compare equal.
    public var absolutePath: String {
        let full = hasPrefix("/") ? self : FileManager.default.currentDirectoryPath + "/" + self
        return (full as NSString).standardizingPath
    }
}

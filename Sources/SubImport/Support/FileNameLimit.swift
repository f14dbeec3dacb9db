#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File names that fit the file system's limit on one name (`NAME_MAX`, 255 bytes on most).
enum FileNameLimit {
    /// The longest name, in bytes, that `folder`'s file system accepts (255 when it cannot say).
    static func maximum(in folder: String) -> Int {
        let limit = pathconf(folder.isEmpty ? "." : folder, Int32(_PC_NAME_MAX))
        return limit > 0 ? limit : 255
    }

    /// `stem + tail`, with `stem` shortened (whole characters dropped from its end) so that the
    /// name and `reserve` more bytes fit in `limit` bytes. `tail` (a batch id, an extension) is
    /// always kept whole.
    static func fit(_ stem: String, _ tail: String, limit: Int, reserve: Int = 0) -> String {
        let room = limit - reserve - tail.utf8.count
        guard stem.utf8.count > room else { return stem + tail }
        var kept = ""
        var used = 0
        for character in stem {
            let size = character.utf8.count
            if used + size > room { break }
            kept.append(character)
            used += size
        }
        return kept + tail
    }
}

import Foundation

/// Finds the password of a `PostgresLocation` the way libpq does, without it ever being on a
/// command line: `PGPASSWORD`, else the first matching line of the password file (`PGPASSFILE`,
/// default `~/.pgpass`), which is ignored, as libpq does, unless it is a regular file that only
/// its owner can read or write.
public enum PostgresPassword {
    /// The password for `location`, or nil (the server may not ask for one).
    public static func find(for location: PostgresLocation, environment: [String: String]) -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let path =
            environment["PGPASSFILE"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".pgpass")
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, (info.st_mode & 0o077) == 0,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = split(String(line))
            guard fields.count == 5 else { continue }
            let wanted = [location.host, String(location.port), location.database, location.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The `:`-separated fields of a password-file line, with `\:` and `\\` unescaped.
    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Folders and files that hold secrets: new folders are created 0700 and new files 0600; an
/// existing folder's mode is never changed (it may be shared, sticky, or the current folder);
/// the state folder and its files are refused when someone else could read or replace them.
public enum FilePermissions {
    /// Creates `path` and its missing parents, each new one with mode 0700 (less the umask). A
    /// folder that already exists is left exactly as it is. Throws when `path` exists and is not
    /// a folder (a link to a folder counts as the folder), or a folder cannot be created.
    public static func makePrivateDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw SubImportError.io("\(path) exists and is not a folder")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makePrivateDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw SubImportError.io("cannot create the folder \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the state folder if missing (`makePrivateDirectory`), then refuses it, as OpenSSH
    /// refuses `~/.ssh`, unless it is a folder owned by the current user and not writable by
    /// group or others: someone else could otherwise read every API key or replace the queue.
    /// Throws `SubImportError.unsafeState`.
    public static func prepareStateDirectory(_ path: String) throws {
        try makePrivateDirectory(path)
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SubImportError.io("cannot inspect the state folder \(path): \(String(cString: strerror(errno)))")
        }
        if let problem = ownershipProblem(info) {
            throw SubImportError.unsafeState("the state folder \(path) \(problem)")
        }
    }

    /// Refuses (`SubImportError.unsafeState`) a state file at `path` that is a link, not a
    /// regular file, owned by another user, or writable by group or others. A missing file is
    /// fine (it is created 0600). Checked with `lstat`, so a link is refused, never followed.
    public static func checkStateFile(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw SubImportError.unsafeState("\(path) is a symbolic link; state files are never opened through links")
        }
        guard kind == S_IFREG else { throw SubImportError.unsafeState("\(path) is not a regular file") }
        if let problem = ownershipProblem(info) { throw SubImportError.unsafeState("\(path) \(problem)") }
    }

    /// `checkStateFile` for an SQLite database at `path` and its `-wal` and `-shm` files, before
    /// SQLite opens them (it follows links): called by `QueueStore` once the folder is checked.
    public static func checkDatabaseFiles(_ path: String) throws {
        for suffix in ["", "-wal", "-shm"] { try checkStateFile(path + suffix) }
    }

    /// What is wrong with an inode's owner or mode for private data, or nil when nothing is.
    private static func ownershipProblem(_ info: stat) -> String? {
        if info.st_uid != geteuid() {
            return "belongs to uid \(info.st_uid), not to the current user (uid \(geteuid())); use a folder of your own"
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return
                "is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); remove that (chmod go-w) or use a private folder"
        }
        return nil
    }

    /// Sets mode 0600 on an existing regular file, never on a link's target; a missing file is
    /// not an error. Never opens the file: closing any descriptor of an SQLite database would
    /// drop the POSIX locks SQLite holds on it.
    public static func restrictFile(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        _ = chmod(path, 0o600)
    }
}

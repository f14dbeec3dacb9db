#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The names of files closed after writing (`IN_CLOSE_WRITE`), moved in (`IN_MOVED_TO`) or
/// created (`IN_CREATE`) in one folder, from Linux inotify.
///
/// A file written in place is reported when its writer closes it, never while it is held open;
/// a file renamed in is reported once, complete. An overflow of the kernel's event queue is
/// reported so that the caller rescans the folder, and the folder's removal or move so that it
/// falls back to polling.
public final class InotifyWatcher: @unchecked Sendable {
    /// What one wait returned.
    public struct Events: Sendable {
        /// Names closed after writing or moved in, in the order they happened.
        public var names: [String] = []
        /// Names created in the folder (`IN_CREATE`): a regular file is only reported complete in
        /// `names`, but a link, FIFO, socket or folder made in place never sends another event.
        public var created: [String] = []
        /// The kernel dropped events: look at the whole folder again.
        public var overflowed = false
        /// The folder itself was removed or moved away: no event will come any more.
        public var folderGone = false
    }

    private let descriptor: Int32

    /// Starts watching `directory`. Throws when inotify is not available (not Linux, or the
    /// per-user limit of watches or instances is reached): use polling then.
    public init(directory: String) throws {
        #if os(Linux)
            let instance = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard instance >= 0 else {
                throw SubImportError.io("inotify is not available: \(String(cString: strerror(errno))); use --poll")
            }
            guard inotify_add_watch(instance, directory, Self.mask) >= 0 else {
                let reason = String(cString: strerror(errno))
                close(instance)
                throw SubImportError.io("cannot watch \(directory) with inotify: \(reason); use --poll")
            }
            descriptor = instance
        #else
            throw SubImportError.io("inotify needs Linux; use --poll")
        #endif
    }

    /// Waits at most `timeout` seconds for events and returns those that arrived (none on timeout).
    public func wait(timeout: Double) -> Events {
        var events = Events()
        #if os(Linux)
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, Int32(max(0, min(timeout, 3600)) * 1000))
            guard ready > 0 else { return events }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                var offset = 0
                // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
                while offset + 16 <= count {
                    let mask = Self.uint32(buffer, at: offset + 4)
                    let length = Int(Self.uint32(buffer, at: offset + 12))
                    let nameBytes = buffer[(offset + 16)..<min(count, offset + 16 + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { events.overflowed = true }
                    if mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_IGNORED)) != 0 {
                        events.folderGone = true
                    }
                    if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0, !name.isEmpty {
                        events.names.append(name)
                    }
                    if mask & UInt32(IN_CREATE) != 0, !name.isEmpty { events.created.append(name) }
                    offset += 16 + length
                }
            }
        #endif
        return events
    }

    #if os(Linux)
        /// Files closed after writing, moved in or created, and the folder's own removal or move.
        private static let mask =
            UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_DELETE_SELF)
            | UInt32(IN_MOVE_SELF)
    #endif

    private static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    deinit {
        close(descriptor)
    }
}

/// Where one request goes: the origin (scheme, host, port) whose connections carry it, and the
/// request target (path and query) sent in its request line.
struct HTTPTarget: Sendable, Equatable {
    /// An origin: requests to the same one share keep-alive connections.
    struct Origin: Sendable, Hashable {
        var secure: Bool
        /// The host as written in the URL, without the brackets of an IPv6 literal.
        var host: String
        var port: Int

        /// The `Host` header's value: the host, and the port unless it is the scheme's default.
        var hostHeader: String {
            let name = host.contains(Character(":")) ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }
    }

    var origin: Origin
    /// The path and query, starting with `/`.
    var requestTarget: String

    /// Splits an absolute `http` or `https` URL; nil when `url` is not one (no host, another
    /// scheme, a port that is not a number in 1...65535, user information).
    init?(_ url: String) {
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = rest[authorityEnd...]
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        guard !authority.isEmpty, !authority.contains(Character("@")) else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        var port = secure ? 443 : 80
        if let portText {
            guard let number = Int(portText), (1...65_535).contains(number) else { return nil }
            port = number
        }
        origin = Origin(secure: secure, host: String(host), port: port)
        requestTarget = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : String(target))
    }
}

import Foundation

/// What `--base-url` may be: a provider's scheme, host and optional port, nothing else.
public enum BaseURLCheck {
    /// Why a base URL is refused.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Accepts `http://` or `https://`, a host and an optional port; a path other than `/`, a
    /// query, a fragment or user info (`user:password@`) is refused, since documented paths are
    /// appended and credentials go in headers. Plain `http://` is refused for a host other than
    /// loopback (`localhost`, `127.0.0.0/8`, `::1`) unless `allowInsecureHTTP`: the master
    /// credentials would travel in clear. The refusal never repeats user info.
    public static func validate(_ text: String, allowInsecureHTTP: Bool) throws(Refusal) {
        let example = "like https://api.octopush.com or http://127.0.0.1:8080"
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = parts.host, !host.isEmpty
        else {
            throw Refusal(description: "--base-url takes http:// or https://, a host and a port only, \(example)")
        }
        if parts.user != nil || parts.password != nil {
            throw Refusal(
                description:
                    "--base-url must not hold user info (user:password@): credentials come from the environment; \(example)"
            )
        }
        let shown = "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")"
        if !(parts.path.isEmpty || parts.path == "/") || parts.query != nil || parts.fragment != nil {
            throw Refusal(
                description:
                    "--base-url takes a scheme, host and port only, without path, query or fragment (documented paths are appended), \(example); got \(ControlCharacters.escaped(text))"
            )
        }
        if scheme == "http", !allowInsecureHTTP, !isLoopback(host) {
            throw Refusal(
                description:
                    "--base-url \(shown) is plain http to a host that is not loopback: the credentials would travel in clear. Use https, or add --allow-insecure-http"
            )
        }
    }

    /// Whether `host` names this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lower = bare.lowercased()
        if lower == "localhost" || lower == "::1" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

import Hummingbird
import NIOCore

/// The Hummingbird request context of the sandbox: the basic context plus the connection's
/// channel, which the sandbox closes to simulate a dropped connection.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

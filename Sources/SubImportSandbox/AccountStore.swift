import Foundation

/// The sandbox's in-memory state: the live sub-accounts, the quota, the per-identity request
/// counters of the fault injector, and the request counter. Thread-safe; every operation is
/// atomic, so concurrent creates never exceed the quota nor duplicate a login or an email.
final class AccountStore: Sendable {
    /// Result of ``create(_:generateLogin:uniqueEmail:)``.
    enum CreateOutcome: Sendable {
        case created(SandboxAccount)
        /// The master already has `quota` live sub-accounts.
        case quotaReached(Int)
        /// Another live account already uses this email.
        case emailTaken
    }

    private struct State {
        var accounts: [SandboxAccount] = []
        var nextID = 1
        var quota: Int
        var occurrences: [String: Int] = [:]
        var requestCount = 0
    }

    private let state: Locked<State>

    init(quota: Int) {
        state = Locked(State(quota: max(0, quota)))
    }

    /// Maximum live sub-accounts per (provider, master); `0` = unlimited.
    var quota: Int {
        get { state.withLock { $0.quota } }
        set { state.withLock { $0.quota = max(0, newValue) } }
    }

    /// Adds `draft` (its `id` and `createdAt` are assigned here) unless its master is at quota or,
    /// with `uniqueEmail`, its email (case-insensitive) is already used by a live account of the
    /// same provider. With `generateLogin`, `apiLogin` (and `email` when `uniqueEmail`) is
    /// replaced by a fresh value that no live account uses.
    func create(
        _ draft: SandboxAccount,
        generateLogin: (@Sendable () -> String)? = nil,
        uniqueEmail: Bool = false
    ) -> CreateOutcome {
        state.withLock { state in
            let owned = state.accounts.filter { $0.provider == draft.provider && $0.master == draft.master }
            if state.quota > 0, owned.count >= state.quota { return .quotaReached(state.quota) }
            var account = draft
            let sameProvider = state.accounts.filter { $0.provider == draft.provider }
            if let generateLogin {
                var login = generateLogin()
                while sameProvider.contains(where: { $0.apiLogin.lowercased() == login.lowercased() }) {
                    login = generateLogin()
                }
                account.apiLogin = login
                if uniqueEmail { account.email = login }
            } else if uniqueEmail,
                sameProvider.contains(where: { $0.apiLogin.lowercased() == draft.apiLogin.lowercased() })
            {
                return .emailTaken
            }
            account.id = state.nextID
            state.nextID += 1
            account.createdAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            state.accounts.append(account)
            return .created(account)
        }
    }

    /// The live account of `provider` owned by `master` whose `apiLogin` is `login`.
    func account(provider: String, master: String, login: String) -> SandboxAccount? {
        state.withLock { state in
            state.accounts.first { $0.provider == provider && $0.master == master && $0.apiLogin == login }
        }
    }

    /// Applies `change` to the account `account(provider:master:login:)` finds and returns the
    /// result; `nil` (and nothing changed) when there is none. `change` must keep the identity.
    func update(
        provider: String,
        master: String,
        login: String,
        _ change: (inout SandboxAccount) -> Void
    ) -> SandboxAccount? {
        state.withLock { state in
            guard
                let index = state.accounts.firstIndex(where: {
                    $0.provider == provider && $0.master == master && $0.apiLogin == login
                })
            else { return nil }
            change(&state.accounts[index])
            return state.accounts[index]
        }
    }

    /// Removes the live account of `provider` owned by `master` whose `apiKey` is `key`.
    func remove(provider: String, master: String, key: String) -> SandboxAccount? {
        state.withLock { state in
            guard
                let index = state.accounts.firstIndex(where: {
                    $0.provider == provider && $0.master == master && $0.apiKey == key
                })
            else { return nil }
            return state.accounts.remove(at: index)
        }
    }

    /// Every live account, in creation order.
    func all() -> [SandboxAccount] {
        state.withLock { $0.accounts }
    }

    /// The live accounts of `provider` owned by `master`, in creation order.
    func accounts(provider: String, master: String) -> [SandboxAccount] {
        state.withLock { state in state.accounts.filter { $0.provider == provider && $0.master == master } }
    }

    /// How many times `key` was passed here before (0 the first time).
    func nextOccurrence(of key: String) -> Int {
        state.withLock { state in
            let seen = state.occurrences[key, default: 0]
            state.occurrences[key] = seen + 1
            return seen
        }
    }

    /// Counts one handled request.
    func countRequest() {
        state.withLock { $0.requestCount += 1 }
    }

    /// The number of handled requests.
    var requestCount: Int { state.withLock { $0.requestCount } }
}

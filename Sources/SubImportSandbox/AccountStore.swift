import Foundation

/// The sandbox's in-memory state: the live sub-accounts, the quota, and the per-identity request
/// counters of the fault injector. Thread-safe; every operation is atomic, so concurrent creates
/// never exceed the quota nor duplicate a login or an email.
///
/// Accounts are indexed by id, by (provider, master) in creation order, by (provider, login)
/// case-insensitively (an SMSPartner account's login is its email) and by (provider, key), so a
/// create, a lookup, an edit and a list page cost the same whatever the number of accounts
/// (a removal costs the number of accounts of its master).
final class AccountStore: Sendable {
    /// Result of ``create(_:generateLogin:uniqueEmail:)``.
    enum CreateOutcome: Sendable {
        case created(SandboxAccount)
        /// The master already has `quota` live sub-accounts.
        case quotaReached(Int)
        /// Another live account already uses this email.
        case emailTaken
    }

    /// One master user of one provider.
    private struct Owner: Hashable {
        var provider: String
        var master: String
    }

    /// A value (login or key) within one provider.
    private struct ProviderValue: Hashable {
        var provider: String
        var value: String
    }

    private struct State {
        var byID: [Int: SandboxAccount] = [:]
        /// Live account ids of each owner, in creation order.
        var byOwner: [Owner: [Int]] = [:]
        /// Account id by lower-cased login.
        var byLogin: [ProviderValue: Int] = [:]
        var byKey: [ProviderValue: Int] = [:]
        var nextID = 1
        var quota: Int
        var occurrences: [String: Int] = [:]

        /// The live account of `provider` owned by `master` whose login is exactly `login`.
        func account(provider: String, master: String, login: String) -> SandboxAccount? {
            guard let id = byLogin[ProviderValue(provider: provider, value: login.lowercased())],
                let account = byID[id], account.master == master, account.apiLogin == login
            else { return nil }
            return account
        }
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
            let owner = Owner(provider: draft.provider, master: draft.master)
            if state.quota > 0, state.byOwner[owner, default: []].count >= state.quota {
                return .quotaReached(state.quota)
            }
            var account = draft
            func loginKey(_ login: String) -> ProviderValue {
                ProviderValue(provider: draft.provider, value: login.lowercased())
            }
            if let generateLogin {
                var login = generateLogin()
                while state.byLogin[loginKey(login)] != nil { login = generateLogin() }
                account.apiLogin = login
                if uniqueEmail { account.email = login }
            } else if uniqueEmail, state.byLogin[loginKey(draft.apiLogin)] != nil {
                return .emailTaken
            }
            account.id = state.nextID
            state.nextID += 1
            account.createdAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            state.byID[account.id] = account
            state.byOwner[owner, default: []].append(account.id)
            // Octopush logins are generated unique; SMSPartner ones are checked above: the first
            // account of a login keeps the index entry.
            if state.byLogin[loginKey(account.apiLogin)] == nil {
                state.byLogin[loginKey(account.apiLogin)] = account.id
            }
            state.byKey[ProviderValue(provider: account.provider, value: account.apiKey)] = account.id
            return .created(account)
        }
    }

    /// The live account of `provider` owned by `master` whose `apiLogin` is `login`.
    func account(provider: String, master: String, login: String) -> SandboxAccount? {
        state.withLock { state in state.account(provider: provider, master: master, login: login) }
    }

    /// Applies `change` to the account `account(provider:master:login:)` finds and returns the
    /// result; `nil` (and nothing changed) when there is none. `change` must keep the identity
    /// (provider, master, login, key).
    func update(
        provider: String,
        master: String,
        login: String,
        _ change: (inout SandboxAccount) -> Void
    ) -> SandboxAccount? {
        state.withLock { state in
            guard var account = state.account(provider: provider, master: master, login: login) else { return nil }
            change(&account)
            state.byID[account.id] = account
            return account
        }
    }

    /// Removes the live account of `provider` owned by `master` whose `apiKey` is `key`.
    func remove(provider: String, master: String, key: String) -> SandboxAccount? {
        state.withLock { state in
            let keyEntry = ProviderValue(provider: provider, value: key)
            guard let id = state.byKey[keyEntry], let account = state.byID[id], account.master == master else {
                return nil
            }
            state.byID[id] = nil
            state.byKey[keyEntry] = nil
            let loginEntry = ProviderValue(provider: provider, value: account.apiLogin.lowercased())
            if state.byLogin[loginEntry] == id { state.byLogin[loginEntry] = nil }
            let owner = Owner(provider: provider, master: master)
            state.byOwner[owner]?.removeAll { $0 == id }
            return account
        }
    }

    /// Every live account, in creation order.
    func all() -> [SandboxAccount] {
        state.withLock { $0.byID.values.sorted { $0.id < $1.id } }
    }

    /// The number of live accounts.
    var count: Int { state.withLock { $0.byID.count } }

    /// At most `limit` live accounts of `provider` owned by `master`, from the `offset`-th
    /// (0-based) in creation order, and how many that master has in all. Costs the page, not
    /// the accounts before it.
    func page(provider: String, master: String, offset: Int, limit: Int) -> (accounts: [SandboxAccount], total: Int) {
        state.withLock { state in
            let ids = state.byOwner[Owner(provider: provider, master: master)] ?? []
            let start = min(max(0, offset), ids.count)
            let end = start + min(max(0, limit), ids.count - start)
            return (ids[start..<end].compactMap { state.byID[$0] }, ids.count)
        }
    }

    /// How many times `key` was passed here before (0 the first time).
    func nextOccurrence(of key: String) -> Int {
        state.withLock { state in
            let seen = state.occurrences[key, default: 0]
            state.occurrences[key] = seen + 1
            return seen
        }
    }
}

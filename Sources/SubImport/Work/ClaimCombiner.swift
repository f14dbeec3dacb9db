/// Claims rows for many workers with one statement (batched claims).
///
/// A worker calls `one()` only once the rate limiter has let its request leave; the calls that
/// arrive while a claim statement runs wait and are served together by the next one, which
/// claims at most as many rows as there are waiting callers (`BatchCombiner`). So every claimed
/// row still has a departure granted by the limiter (claim after the limiter), and at
/// `--concurrency N` one statement claims up to N rows.
typealias ClaimCombiner = BatchCombiner<ClaimedJob>

import PostgresNIO
import SubImport

/// The PostgreSQL queue schema, as numbered migrations recorded in `subimport_migration`. Never
/// edit a shipped migration: add the next one.
///
/// The logical schema is the SQLite one (`QueueMigrations`): `batch`, `job` (id = `(batch.seq <<
/// 32) | row`, so a batch's jobs are one id range), `attempt`, and `batch_count` (rows of each
/// batch by state). Timestamps are `double precision` seconds since 1970 from the engine's clock.
///
/// One difference: `batch_count` holds signed deltas (`n` = +1/−1 sums), appended by a
/// statement trigger and summed when read, instead of one row per (batch, state) updated in
/// place. Every claim and every settlement changes counts; with counters updated in place, two
/// transactions changing the same batch's counts in opposite state orders (a claim of a
/// retrying job and a settlement to `retrying`) would lock the same two rows in opposite orders
/// and deadlock. Appending never waits; `PostgresBatchCounts` folds a batch's deltas back into
/// one row per state when it reads many.
enum PostgresMigrations {
    struct Migration {
        var version: Int
        var name: String
        /// One statement each (the extended query protocol runs one statement per query).
        var statements: [String]
    }

    /// Key of the transaction-scoped advisory lock that serialises migrations (and schema checks)
    /// of processes starting at once: "subimpor" in ASCII.
    static let lockKey: Int64 = 0x7375_6269_6D70_6F72

    /// Applies, in one transaction of `session` (opened by the caller), every migration not yet
    /// recorded, under the advisory lock: a second process starting at the same time waits, then
    /// finds them applied. Throws when the database was migrated by a newer version of subimport.
    static func migrate(_ session: PostgresSession) throws {
        try session.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
        try session.execute(
            """
            CREATE TABLE IF NOT EXISTS subimport_migration (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at double precision NOT NULL
            )
            """)
        var applied = Set<Int>()
        for row in try session.query("SELECT version FROM subimport_migration") {
            applied.insert(try row.decode(Int.self))
        }
        if let newest = applied.max(), let known = all.last?.version, newest > known {
            throw SubImportError.queueLocation(
                "the queue's schema is version \(newest), newer than this subimport knows (\(known)): upgrade subimport"
            )
        }
        for migration in all where !applied.contains(migration.version) {
            for statement in migration.statements {
                try session.execute(PostgresQuery(unsafeSQL: statement))
            }
            try session.execute(
                "INSERT INTO subimport_migration (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now()))"
            )
        }
    }

    /// Every migration, in order.
    static let all: [Migration] = [
        Migration(
            version: 1, name: "batches, jobs, attempts, counts by state",
            statements: [
                """
                CREATE SEQUENCE batch_seq AS bigint MINVALUE 1 MAXVALUE 2147483647
                """,
                """
                CREATE TABLE batch (
                    id text PRIMARY KEY,
                    seq bigint NOT NULL UNIQUE DEFAULT nextval('batch_seq'), -- names the batch's block of job ids
                    identity text NOT NULL UNIQUE,       -- sha256|provider|mode|account[|defaults]
                    file_name text NOT NULL,
                    file_path text NOT NULL,
                    sha256 text NOT NULL,
                    provider text NOT NULL,
                    mode text NOT NULL,
                    account text NOT NULL,               -- which provider account; never a secret
                    state text NOT NULL,                 -- ingesting | ready | settled | cancelled | pruned
                    ingest_owner text,                   -- the process reading the file while 'ingesting'
                    ingest_seen_at double precision,     -- when that process last wrote rows (its clock)
                    encoding text NOT NULL DEFAULT 'UTF-8',
                    notes text NOT NULL DEFAULT '',
                    columns text NOT NULL DEFAULT '[]',  -- JSON array: the names of job.fields' values
                    total_rows bigint NOT NULL DEFAULT 0,
                    unsettled bigint NOT NULL DEFAULT 0, -- jobs not yet settled, kept in step with job.state
                    created_at double precision NOT NULL,
                    started_at double precision,
                    finished_at double precision,
                    reported_at double precision,
                    pruned_at double precision
                )
                """,
                """
                ALTER SEQUENCE batch_seq OWNED BY batch.seq
                """,
                """
                CREATE INDEX batch_account ON batch (account, state)
                """,
                """
                CREATE TABLE job (
                    id bigint PRIMARY KEY,               -- (batch.seq << 32) | row
                    batch_id text NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
                    row integer NOT NULL,
                    line integer NOT NULL,
                    state text NOT NULL,
                    fields text NOT NULL,
                    secret text,                         -- the password; NULL once settled
                    attempts integer NOT NULL DEFAULT 0,
                    failures integer NOT NULL DEFAULT 0,
                    run_at double precision NOT NULL DEFAULT 0,
                    lease_owner text,
                    lease_expires_at double precision,
                    ambiguous boolean NOT NULL DEFAULT false,
                    api_login text,
                    api_key text,
                    error_code text,
                    error_message text,
                    note text,
                    updated_at double precision NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE INDEX job_runnable ON job (run_at, id) WHERE state IN ('queued', 'retrying')
                """,
                """
                CREATE INDEX job_running ON job (lease_expires_at) WHERE state = 'running'
                """,
                // The next retry of a batch (`status`) without reading the batch's rows.
                """
                CREATE INDEX job_retrying ON job (run_at) WHERE state = 'retrying'
                """,
                """
                CREATE TABLE attempt (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    job_id bigint NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    number integer NOT NULL,
                    started_at double precision NOT NULL,
                    finished_at double precision NOT NULL,
                    outcome text NOT NULL,
                    failure_class text NOT NULL,
                    http_status integer,
                    error_code text,
                    message text,
                    worker text NOT NULL
                )
                """,
                """
                CREATE INDEX attempt_job ON attempt (job_id)
                """,
                """
                CREATE TABLE batch_count (
                    seq bigint NOT NULL,                 -- batch.seq (job.id >> 32)
                    state text NOT NULL,
                    n bigint NOT NULL                    -- a signed change; the count is the sum
                )
                """,
                """
                CREATE INDEX batch_count_seq ON batch_count (seq)
                """,
                """
                CREATE FUNCTION subimport_job_state_counted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO batch_count (seq, state, n)
                    SELECT seq, state, SUM(n) FROM (
                        SELECT id >> 32 AS seq, state, -1 AS n FROM old_jobs
                        UNION ALL
                        SELECT id >> 32, state, 1 FROM new_jobs
                    ) AS change
                    GROUP BY seq, state HAVING SUM(n) <> 0;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER job_state_counted AFTER UPDATE ON job
                    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
                    FOR EACH STATEMENT EXECUTE FUNCTION subimport_job_state_counted()
                """,
                """
                CREATE FUNCTION subimport_batch_counts_dropped() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM batch_count WHERE seq = OLD.seq;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER batch_counts_dropped AFTER DELETE ON batch
                    FOR EACH ROW EXECUTE FUNCTION subimport_batch_counts_dropped()
                """,
                """
                CREATE TRIGGER batch_counts_pruned AFTER UPDATE OF state ON batch
                    FOR EACH ROW WHEN (NEW.state = 'pruned') EXECUTE FUNCTION subimport_batch_counts_dropped()
                """,
            ]),
        Migration(
            version: 2, name: "account rates shared by every worker (SharedAccountLimiter)",
            statements: [
                """
                CREATE TABLE subimport_account_rate (
                    account TEXT PRIMARY KEY,
                    rate DOUBLE PRECISION NOT NULL,
                    burst DOUBLE PRECISION NOT NULL,
                    recovery_interval DOUBLE PRECISION NOT NULL,
                    next_slot DOUBLE PRECISION NOT NULL DEFAULT 0,
                    factor DOUBLE PRECISION NOT NULL DEFAULT 1,
                    last_throttle DOUBLE PRECISION NOT NULL DEFAULT 0,
                    paused_until DOUBLE PRECISION NOT NULL DEFAULT 0,
                    last_slot DOUBLE PRECISION NOT NULL DEFAULT 0,
                    last_clock DOUBLE PRECISION NOT NULL DEFAULT 0,
                    reserved BIGINT NOT NULL DEFAULT 0,
                    stop_reason TEXT,
                    stopped_at TIMESTAMPTZ,
                    stopped_by TEXT,
                    registered_by TEXT
                )
                """
            ]),
    ]
}

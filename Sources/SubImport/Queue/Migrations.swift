import GRDB

/// The queue schema, as numbered migrations. Never edit a shipped migration: add the next one.
enum QueueMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: batches, jobs, attempts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE batch (
                        id TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL UNIQUE,        -- small number naming the batch's block of job ids
                        identity TEXT NOT NULL UNIQUE,      -- sha256|provider|mode|account
                        file_name TEXT NOT NULL,
                        file_path TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        provider TEXT NOT NULL,
                        mode TEXT NOT NULL,
                        account TEXT NOT NULL,              -- which provider account; never a secret
                        state TEXT NOT NULL,                -- ingesting | ready | settled | cancelled
                        ingest_owner TEXT,                  -- the process reading the file while 'ingesting'
                        encoding TEXT NOT NULL DEFAULT 'UTF-8',
                        notes TEXT NOT NULL DEFAULT '',      -- what ingest did with the file (encoding, ignored columns)
                        columns TEXT NOT NULL DEFAULT '[]',  -- JSON array: the names of job.fields' values, in order
                        total_rows INTEGER NOT NULL DEFAULT 0,
                        unsettled INTEGER NOT NULL DEFAULT 0, -- jobs not yet settled, kept in step with job.state
                        created_at REAL NOT NULL,
                        started_at REAL,
                        finished_at REAL
                    );
                    CREATE TABLE job (
                        id INTEGER PRIMARY KEY,             -- (batch.seq << 32) | row: a batch's jobs are one id range
                        batch_id TEXT NOT NULL REFERENCES batch(id) ON DELETE CASCADE,
                        row INTEGER NOT NULL,               -- 1-based data row of the input
                        line INTEGER NOT NULL,              -- physical line where the row starts
                        state TEXT NOT NULL,
                        fields TEXT NOT NULL,               -- JSON array of the non-secret values (names: batch.columns)
                        secret TEXT,                        -- the password; NULL once settled
                        attempts INTEGER NOT NULL DEFAULT 0, -- HTTP attempts made
                        failures INTEGER NOT NULL DEFAULT 0, -- transient failures, counted against --max-attempts
                        run_at REAL NOT NULL DEFAULT 0,
                        lease_owner TEXT,
                        lease_expires_at REAL,
                        ambiguous INTEGER NOT NULL DEFAULT 0, -- an earlier attempt may have reached the provider
                        api_login TEXT,
                        api_key TEXT,
                        error_code TEXT,
                        error_message TEXT,
                        note TEXT,
                        updated_at REAL NOT NULL DEFAULT 0
                    );
                    CREATE INDEX job_runnable ON job(run_at) WHERE state IN ('queued', 'retrying');
                    CREATE INDEX job_running ON job(lease_expires_at) WHERE state = 'running';
                    CREATE TABLE attempt (
                        id INTEGER PRIMARY KEY,
                        job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                        number INTEGER NOT NULL,
                        started_at REAL NOT NULL,
                        finished_at REAL NOT NULL,
                        outcome TEXT NOT NULL,              -- the job state or decision this attempt led to
                        failure_class TEXT NOT NULL,        -- created | rejected | fatal | notSent | ambiguous
                        http_status INTEGER,
                        error_code TEXT,
                        message TEXT,
                        worker TEXT NOT NULL
                    );
                    CREATE INDEX attempt_job ON attempt(job_id);
                    """)
        }
        migrator.registerMigration("v2: batch.reported_at") { db in
            // When the batch's complete report was last written (watch writes a report as soon as a
            // batch settles, once). Batches settled before this migration count as reported.
            try db.execute(
                sql: """
                    ALTER TABLE batch ADD COLUMN reported_at REAL;
                    UPDATE batch SET reported_at = finished_at WHERE state = 'settled';
                    """)
        }
        migrator.registerMigration("v3: batch.pruned_at") { db in
            // A pruned batch keeps its row (identity, file name, counts; no secret) in state
            // `pruned`, so importing its content again is recognised instead of re-sent.
            try db.execute(sql: "ALTER TABLE batch ADD COLUMN pruned_at REAL")
        }
        migrator.registerMigration("v4: batch_count, row counts by state kept by triggers") { db in
            // Rows of each batch by job state, so that `status` and reports never count a batch's
            // rows one by one. Inserts are not counted row by row (ingest must stay one b-tree per
            // row): `finishIngest` counts the batch once; from then on every state change is
            // counted by the trigger, whoever makes it; a batch's counts go with its rows (deleted
            // or pruned batch).
            try db.execute(
                sql: """
                    CREATE TABLE batch_count (
                        seq INTEGER NOT NULL,               -- batch.seq (job.id >> 32)
                        state TEXT NOT NULL,                -- a job state
                        n INTEGER NOT NULL,
                        PRIMARY KEY (seq, state)
                    ) WITHOUT ROWID;
                    INSERT INTO batch_count (seq, state, n)
                        SELECT id >> 32, state, COUNT(*) FROM job GROUP BY id >> 32, state;
                    CREATE TRIGGER job_state_counted AFTER UPDATE OF state ON job
                    WHEN OLD.state IS NOT NEW.state BEGIN
                        UPDATE batch_count SET n = n - 1 WHERE seq = OLD.id >> 32 AND state = OLD.state;
                        INSERT INTO batch_count (seq, state, n) VALUES (NEW.id >> 32, NEW.state, 1)
                            ON CONFLICT (seq, state) DO UPDATE SET n = n + 1;
                    END;
                    CREATE TRIGGER batch_counts_dropped AFTER DELETE ON batch BEGIN
                        DELETE FROM batch_count WHERE seq = OLD.seq;
                    END;
                    CREATE TRIGGER batch_counts_pruned AFTER UPDATE OF state ON batch
                    WHEN NEW.state = 'pruned' BEGIN
                        DELETE FROM batch_count WHERE seq = NEW.seq;
                    END;
                    """)
        }
        migrator.registerMigration("v5: job_retrying index") { db in
            // The next retry of a batch (`status`) without reading the batch's rows: only rows
            // waiting for a retry are in it (rows enter it one answer at a time, never at ingest).
            try db.execute(sql: "CREATE INDEX job_retrying ON job(run_at) WHERE state = 'retrying'")
        }
        return migrator
    }
}

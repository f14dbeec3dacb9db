#!/usr/bin/env python3
"""Claim-and-settle throughput of the queue with an instant provider (`subimport sandbox --quota 0`,
`--rate 0`), in one run:

  - SQLite: `subimport work` of ROWS enqueued rows, one process;
  - PostgreSQL (a throwaway cluster of scripts/postgres-cluster.sh): the same with `--queue`,
    one process, then three processes sharing the queue (each with its own state folder);
  - pgbench on the same server: its TPC-B-like figure (`-c 3 -j 2 -T SECONDS`), and custom
    scripts doing what a worker does, as two transactions: a claim
    (`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`) and a settle (`UPDATE`),
    of one row, and of 32 rows at a time (the engine claims and settles in groups).

Rows/s are ROWS over the wall time from starting the `work` processes to the last one's exit
(process start and report writing included). Usage: bench_queue.py BINARY [ROWS]
Environment: BENCH_CONCURRENCY (default 32), BENCH_PGBENCH_SECONDS (default 10).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_watch import ENV, rows, start_sandbox, stop_all  # noqa: E402

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "32")
PGBENCH_SECONDS = os.environ.get("BENCH_PGBENCH_SECONDS", "10")


def start_cluster():
    """Starts a throwaway cluster held by this process; its environment (the env file's exports)."""
    env_file = subprocess.check_output(
        [os.path.join(SCRIPTS, "postgres-cluster.sh"), "start"],
        env=dict(os.environ, SUBIMPORT_TEST_POSTGRES_HOLDER=str(os.getpid())), text=True).strip()
    cluster = {}
    with open(env_file) as handle:
        for line in handle:
            found = re.match(r"export (\w+)='(.*)'$", line.strip())
            if found:
                cluster[found.group(1)] = found.group(2)
    return cluster


def postgres_env(cluster):
    """The environment of a PostgreSQL client: the password in PGPASSWORD, never on a command line."""
    return dict(ENV, PGPASSWORD=cluster["SUBIMPORT_TEST_POSTGRES_PASSWORD"], PGPASSFILE="/dev/null")


def database_url(cluster, name):
    return cluster["SUBIMPORT_TEST_POSTGRES_URL"].rsplit("/", 1)[0] + "/" + name


def psql(cluster, database, sql):
    """Runs sql on database as the test role over TCP; the output (unaligned, tuples only)."""
    return subprocess.check_output(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", database_url(cluster, database), "-c", sql],
        env=postgres_env(cluster), text=True)


def run(command, env, what):
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done


def timed_work(binary, processes, common, states, env):
    """Runs one `subimport work` per state folder at once; seconds until the last one exits."""
    started = time.time()
    children = []
    for state in states:
        children.append(subprocess.Popen(
            [binary, "work", "--state", state, "--rate", "0", "--concurrency", CONCURRENCY] + common,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    processes.extend(children)
    failures = []
    for child in children:
        _, errors = child.communicate(timeout=1800)
        if child.returncode != 0:
            failures.append(f"work exited {child.returncode}: {errors.strip()[-2000:]}")
    elapsed = time.time() - started
    if failures:
        raise RuntimeError("; ".join(failures))
    return elapsed


def pgbench_tps(cluster, database, arguments):
    """pgbench's `tps` (without the initial connection time) of a run on database."""
    port = cluster["SUBIMPORT_TEST_POSTGRES_PORT"]
    output = subprocess.check_output(
        ["pgbench", "-h", "127.0.0.1", "-p", port, "-U", "subimport", "-n"] + arguments + [database],
        env=postgres_env(cluster), text=True, stderr=subprocess.STDOUT)
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if not found:
        raise RuntimeError(f"no tps in pgbench's output: {output[-1000:]}")
    return float(found.group(1))


CLAIM_SCRIPT = """\
UPDATE bench_job SET state = 'running' WHERE id = (
    SELECT id FROM bench_job WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id \\gset
UPDATE bench_job SET state = 'created', secret = NULL WHERE id = :id;
"""

# The same with a batch of rows per transaction (claim many, settle them in one group commit),
# as the engine does; pgbench substitutes :ids as text (simple query mode).
BATCH = 32
BATCH_SCRIPT = f"""\
WITH claimed AS (UPDATE bench_job SET state = 'running' WHERE id IN (
    SELECT id FROM bench_job WHERE state = 'queued' ORDER BY id LIMIT {BATCH} FOR UPDATE SKIP LOCKED) RETURNING id)
SELECT string_agg(id::text, ',') AS ids FROM claimed \\gset
UPDATE bench_job SET state = 'created', secret = NULL WHERE id IN (:ids);
"""


def pgbench_figures(cluster, work):
    """(TPC-B-like tps, claim-and-settle rows/s) of pgbench with 3 clients on the cluster."""
    port = cluster["SUBIMPORT_TEST_POSTGRES_PORT"]
    psql(cluster, "postgres", "CREATE DATABASE bench_pgbench")
    subprocess.run(
        ["pgbench", "-h", "127.0.0.1", "-p", port, "-U", "subimport", "-i", "-q", "-s", "1", "bench_pgbench"],
        env=postgres_env(cluster), check=True, capture_output=True)
    clients = ["-c", "3", "-j", "2", "-T", PGBENCH_SECONDS]
    tpcb = pgbench_tps(cluster, "bench_pgbench", clients)
    psql(cluster, "bench_pgbench", """
        CREATE TABLE bench_job (id bigint PRIMARY KEY, state text NOT NULL, secret text);
        INSERT INTO bench_job SELECT n, 'queued', 'pw-' || n FROM generate_series(1, 1000000) AS n;
        CREATE INDEX bench_job_queued ON bench_job (id) WHERE state = 'queued';
    """)
    psql(cluster, "bench_pgbench", "VACUUM ANALYZE bench_job")
    figures = [tpcb]
    for name, text, rows_per_script in (("claim.sql", CLAIM_SCRIPT, 1), ("batch.sql", BATCH_SCRIPT, BATCH)):
        script = os.path.join(work, name)
        with open(script, "w") as handle:
            handle.write(text)
        figures.append(rows_per_script * pgbench_tps(cluster, "bench_pgbench", clients + ["-M", "simple", "-f", script]))
    return figures


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    work = tempfile.mkdtemp(prefix="subimport-bench-queue-")
    processes = []
    cluster = None
    figures = {}
    try:
        url = start_sandbox(binary, work, processes)
        csv = os.path.join(work, "rows.csv")
        with open(csv, "w") as handle:
            handle.write(rows("Q", count=count))
        reports = ["--reports", os.path.join(work, "reports"), "--base-url", url]

        state = os.path.join(work, "sqlite")
        run([binary, "enqueue", csv, "--state", state] + reports, ENV, "enqueue (SQLite)")
        figures["SQLite, 1 process"] = count / timed_work(binary, processes, reports, [state], ENV)

        cluster = start_cluster()
        env = postgres_env(cluster)
        for workers in (1, 3):
            label = f"PostgreSQL, {workers} process{'es' if workers > 1 else ''}"
            database = f"bench_queue_{workers}"
            psql(cluster, "postgres", f"CREATE DATABASE {database}")
            shared = reports + ["--queue", database_url(cluster, database)]
            try:
                run([binary, "enqueue", csv, "--state", os.path.join(work, f"pg{workers}-0")] + shared, env,
                    "enqueue (PostgreSQL)")
            except RuntimeError as error:
                figures[label] = f"not run: {error}"
                continue
            states = [os.path.join(work, f"pg{workers}-{index}") for index in range(1, workers + 1)]
            figures[label] = count / timed_work(binary, processes, shared, states, env)

        (figures["pgbench TPC-B-like, 3 clients (tps)"], figures["pgbench claim + settle, 3 clients"],
         figures[f"pgbench claim + settle, {BATCH} rows a commit"]) = pgbench_figures(cluster, work)

        print(f"queue: {count} rows, instant provider (sandbox --quota 0), --rate 0 --concurrency {CONCURRENCY}; "
              f"pgbench -c 3 -j 2 -T {PGBENCH_SECONDS}")
        for label, value in figures.items():
            shown = f"{value:10.0f} rows/s" if isinstance(value, float) else value
            if "tps" in label and isinstance(value, float):
                shown = f"{value:10.0f} tps"
            print(f"  {label:40} {shown}")
        sqlite = figures.get("SQLite, 1 process")
        one = figures.get("PostgreSQL, 1 process")
        three = figures.get("PostgreSQL, 3 processes")
        claims = figures.get("pgbench claim + settle, 3 clients")
        batched = figures.get(f"pgbench claim + settle, {BATCH} rows a commit")
        if isinstance(one, float):
            print(f"  PostgreSQL 1 process / SQLite          {one / sqlite:10.2f}")
        if isinstance(three, float) and isinstance(one, float):
            print(f"  PostgreSQL 3 processes / 1 process     {three / one:10.2f}")
        if isinstance(three, float) and isinstance(claims, float):
            print(f"  PostgreSQL 3 processes / pgbench claim {three / claims:10.2f}")
        if isinstance(three, float) and isinstance(batched, float):
            print(f"  PostgreSQL 3 processes / pgbench batch {three / batched:10.2f}")
    finally:
        stop_all(processes)
        if cluster:
            subprocess.run([os.path.join(SCRIPTS, "postgres-cluster.sh"), "stop",
                            cluster["SUBIMPORT_TEST_POSTGRES_DIR"]], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

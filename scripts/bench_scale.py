#!/usr/bin/env python3
"""A batch of ROWS rows (default 1,000,000) from ingest to report, in flat memory.

`subimport enqueue` queues a generated file; then `status` (median of 5 runs, table and JSON)
and `report` of the ingested batch (rows pending) are timed; then every row is marked created
straight in SQLite (as a finished send would leave it: login, key, one attempt, no password;
the queue's triggers keep the counts in step), and `status` and `report` are timed again.
Each step runs as a child under `/usr/bin/time -v`: wall time and peak resident memory.
Sending a million rows is the send path's benchmark (`bench.sh http`), not this one.
"""
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ingest import generate  # noqa: E402


def timed(command):
    """(wall seconds, peak RSS MiB, stdout) of command run under /usr/bin/time -v."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v"] + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command[:2])} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    peak = int(re.search(rb"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    return elapsed, peak, proc.stdout


def show(label, seconds, peak):
    print(f"  {label:<34} {seconds * 1000:9.0f} ms   peak {peak:6.1f} MiB")


def main():
    binary, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    work = tempfile.mkdtemp(prefix="subimport-bench-scale-")
    try:
        source = os.path.join(work, "accounts.csv")
        generate(source, rows)
        state, reports = os.path.join(work, "state"), os.path.join(work, "reports")
        paths = ["--state", state, "--reports", reports]
        print(f"scale: one batch of {rows} rows ({os.path.getsize(source) / 2**20:.0f} MiB of CSV)")
        seconds, peak, _ = timed([binary, "enqueue", source, "--log-level", "error"] + paths)
        show("enqueue", seconds, peak)
        database = os.path.join(state, "queue.sqlite")
        with sqlite3.connect(database) as db:
            batch = db.execute("SELECT id FROM batch").fetchone()[0]

        def status_and_report(label):
            for extra in ([], ["--json"]):
                runs = [timed([binary, "status", "--state", state] + extra) for _ in range(5)]
                show(f"status{' --json' if extra else ''} ({label}, median of 5)",
                     statistics.median(r[0] for r in runs), max(r[1] for r in runs))
            seconds, peak, _ = timed([binary, "report", batch] + paths)
            show(f"report ({label})", seconds, peak)

        status_and_report("rows pending")
        with sqlite3.connect(database) as db:
            db.execute(
                """UPDATE job SET state = 'created', secret = NULL, attempts = 1,
                   api_login = 'login-' || row || '@example.com', api_key = printf('key-%032d', row)""")
            db.execute("UPDATE batch SET state = 'settled', unsettled = 0, started_at = created_at, finished_at = created_at + 1")
        status_and_report("rows created")
        print(f"  report CSV {os.path.getsize(os.path.join(reports, [n for n in os.listdir(reports) if n.endswith('.csv')][0])) / 2**20:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

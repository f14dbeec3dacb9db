#!/usr/bin/env python3
"""Times an inbox burst: FILES small files (3 rows each) renamed into `subimport watch`'s inbox at
once, against `subimport sandbox --quota 0` (an instant provider) at `--rate 0`.

Prints, from the first rename: when every file was queued (its batch left `ingesting`), when
every file was archived, and when every batch's report was written (`batch.reported_at`), with
the CPU time `watch` used. Files are written beside the inbox first, so only the renames count.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_watch import rows, start_sandbox, start_watch, stop_all  # noqa: E402


def counts(database):
    """(batches queued, batches reported) right now; (0, 0) while the database is busy."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(reported_at IS NOT NULL), 0) FROM batch WHERE state != 'ingesting'"
            ).fetchone()
        return row[0], row[1]
    except sqlite3.Error:
        return 0, 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    binary = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    work = tempfile.mkdtemp(prefix="subimport-bench-inbox-")
    processes = []
    try:
        url = start_sandbox(binary, work, processes)

        inbox, state, staging = (os.path.join(work, name) for name in ("inbox", "state", "staging"))
        os.makedirs(inbox)
        os.makedirs(staging)
        for index in range(files):
            with open(os.path.join(staging, f"burst{index:05d}.csv"), "w") as handle:
                handle.write(rows(f"B{index}", count=3))
        watch = start_watch(binary, work, inbox, state, url, processes)
        database = os.path.join(state, "queue.sqlite")
        archive = os.path.join(state, "archive")
        cpu_before = cpu_seconds(watch.pid)

        started = time.time()
        for index in range(files):
            name = f"burst{index:05d}.csv"
            os.rename(os.path.join(staging, name), os.path.join(inbox, name))
        renamed = time.time() - started
        queued_at = archived_at = reported_at = None
        deadline = started + 300
        while reported_at is None and time.time() < deadline:
            queued, reported = counts(database)
            now = time.time() - started
            if queued_at is None and queued >= files:
                queued_at = now
            if archived_at is None and len(os.listdir(archive)) >= files:
                archived_at = now
            if reported >= files:
                reported_at = now
            time.sleep(0.01)
        cpu = cpu_seconds(watch.pid) - cpu_before
        if reported_at is None:
            raise SystemExit(f"not every file was reported within 300 s: {counts(database)} of {files}")
        print(f"inbox burst: {files} files of 3 rows renamed in within {renamed * 1000:.0f} ms")
        print(f"  all queued   {queued_at:7.2f} s")
        print(f"  all archived {archived_at:7.2f} s")
        print(f"  all reported {reported_at:7.2f} s")
        print(f"  watch CPU    {cpu:7.2f} s (user + sys)")
    finally:
        stop_all(processes)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

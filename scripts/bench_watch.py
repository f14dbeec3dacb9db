#!/usr/bin/env python3
"""Times `subimport watch`: from a file's rename into the inbox (or its close after being
written in place) to its first row being sent, over 20 files each way; median and p90.

The reference, in the same run: `subimport import` of one such file, from process start to its
first row sent (median of 5). Both talk to the same `subimport sandbox` process on loopback.
"When sent" is the attempt's `started_at` in the queue (wall clock, taken just before the
request leaves); file events are timed with the same wall clock.
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

ENV = dict(os.environ, OCTOPUSH_API_LOGIN="bench@example.com", OCTOPUSH_API_KEY="bench-key")


def rows(tag, count=5):
    lines = ["first_name,last_name,password,company_name"]
    lines += [f"{tag}P{i},Lastname{i},secret-{i}-pw,Company {i}" for i in range(count)]
    return "\n".join(lines) + "\n"


def first_sent(database, file_name, deadline):
    """Wall-clock time the first request of the batch read from file_name started, waiting for it."""
    while time.time() < deadline:
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
                row = db.execute(
                    """SELECT MIN(attempt.started_at) FROM attempt JOIN job ON job.id = attempt.job_id
                       JOIN batch ON batch.id = job.batch_id WHERE batch.file_name = ?""",
                    (file_name,),
                ).fetchone()
            if row and row[0] is not None:
                return row[0]
        except sqlite3.Error:
            pass
        time.sleep(0.002)
    raise SystemExit(f"{file_name}: no row sent in time")


def wait_line(stream_path, pattern, deadline):
    while time.time() < deadline:
        with open(stream_path, encoding="utf-8", errors="replace") as handle:
            found = re.search(pattern, handle.read())
        if found:
            return found
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {pattern!r} in {stream_path}")


def start_sandbox(binary, work, processes):
    """Starts `subimport sandbox --quota 0` on a free loopback port (added to processes); its URL."""
    sandbox_log = os.path.join(work, "sandbox.log")
    with open(sandbox_log, "w") as log:
        sandbox = subprocess.Popen([binary, "sandbox", "--port", "0", "--quota", "0"], stdout=log, stderr=log)
    processes.append(sandbox)
    return wait_line(sandbox_log, r"http://127\.0\.0\.1:\d+", time.time() + 30).group(0)


def start_watch(binary, work, inbox, state, url, processes):
    """Starts `subimport watch` on inbox at --rate 0 (added to processes) and waits until it watches."""
    watch_log = os.path.join(work, "watch.log")
    with open(watch_log, "w") as log:
        watch = subprocess.Popen(
            [binary, "watch", "--inbox", inbox, "--state", state, "--reports", os.path.join(work, "reports"),
             "--base-url", url, "--rate", "0"], stdout=log, stderr=log, env=ENV)
    processes.append(watch)
    wait_line(watch_log, r"watching ", time.time() + 30)
    return watch


def stop_all(processes):
    """Terminates the child processes still running (killed after 15 s)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    work = tempfile.mkdtemp(prefix="subimport-bench-watch-")
    processes = []
    try:
        url = start_sandbox(binary, work, processes)

        inbox, state = os.path.join(work, "inbox"), os.path.join(work, "state")
        os.makedirs(inbox)
        watch = start_watch(binary, work, inbox, state, url, processes)
        database = os.path.join(state, "queue.sqlite")

        renamed, closed = [], []
        for index in range(count):
            name = f"renamed{index:02d}.csv"
            part = os.path.join(work, name + ".part")  # written beside, then renamed in
            with open(part, "w") as handle:
                handle.write(rows(f"R{index}"))
            os.rename(part, os.path.join(inbox, name))
            moved_at = time.time()
            renamed.append(first_sent(database, name, moved_at + 30) - moved_at)
        for index in range(count):
            name = f"written{index:02d}.csv"
            with open(os.path.join(inbox, name), "w") as handle:
                handle.write(rows(f"W{index}"))
            closed_at = time.time()
            closed.append(first_sent(database, name, closed_at + 30) - closed_at)
        watch.terminate()
        watch.wait(timeout=30)

        reference = []
        for index in range(5):
            path = os.path.join(work, f"oneshot{index}.csv")
            with open(path, "w") as handle:
                handle.write(rows(f"I{index}"))
            ref_state = os.path.join(work, f"import-state{index}")
            started = time.time()
            subprocess.run(
                [binary, "import", path, "--state", ref_state, "--reports", os.path.join(work, "reports"),
                 "--base-url", url, "--rate", "0"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                check=True)
            reference.append(first_sent(os.path.join(ref_state, "queue.sqlite"), f"oneshot{index}.csv",
                                        time.time() + 5) - started)

        def show(label, values):
            ms = [v * 1000 for v in values]
            print(f"{label:<44} median {statistics.median(ms):7.1f} ms   p90 {percentile(ms, 0.9):7.1f} ms"
                  f"   max {max(ms):7.1f} ms   (n={len(ms)})")

        show("watch: rename into inbox -> first row sent", renamed)
        show("watch: close after write -> first row sent", closed)
        show("reference: `import` start -> first row sent", reference)
        print(f"ratio (reference / watch rename median): "
              f"{statistics.median(reference) / statistics.median(renamed):.1f}x")
    finally:
        stop_all(processes)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

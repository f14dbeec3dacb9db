#!/usr/bin/env python3
"""Times `subimport enqueue` against `sqlite3 .import` on the same generated CSV file.

Each tool runs as a child process; wall time and the child's peak resident memory
(getrusage of a fresh fork per tool) are reported side by side, with the ratio of rows/s.
"""
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def generate(path, rows):
    """A realistic Octopush file: ~105 bytes a row, some quoted fields, a few callbacks."""
    rng = random.Random(1)
    first = ["Leonardo", "Marie", "Ada", "Alan", "Grace", "Hélène", "Émile", "Katherine", "Nikola", "Rosalind"]
    last = ["Da Vinci", "Curie", "Lovelace", "Turing", "Hopper", "Dupont", "Zola", "Johnson", "Tesla", "Franklin"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "password", "company_name", "callback_url_for_deliveries", "email_for_inbounds"])
        for index in range(rows):
            company = f"Company {index}, Ltd" if index % 3 == 0 else f"Company {index}"
            callback = f"https://hooks.example.com/dr/{index}" if index % 4 == 0 else ""
            writer.writerow([
                rng.choice(first) + str(index % 97), rng.choice(last), f"pw-{index:08d}-{rng.randrange(10**6):06d}",
                company, callback, f"user{index}@example.com",
            ])


def measure(command, env=None):
    """Runs command in a child; returns (seconds, peak RSS in MiB) of that child alone."""
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        proc = subprocess.run(command, env=env, stdout=devnull, stderr=subprocess.PIPE)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        os.write(write_fd, f"{proc.returncode} {usage.ru_maxrss}\n".encode() + proc.stderr[-2000:])
        os._exit(0)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.waitpid(pid, 0)
    elapsed = time.perf_counter() - started
    head, _, tail = data.partition(b"\n")
    code, maxrss = head.split()
    if int(code) != 0:
        sys.exit(f"{command[0]} failed ({code}): {tail.decode(errors='replace')}")
    return elapsed, int(maxrss) / 1024


def main():
    rows = int(sys.argv[1])
    binary = sys.argv[2]
    work = tempfile.mkdtemp(prefix="subimport-bench-")
    try:
        path = os.path.join(work, "accounts.csv")
        generate(path, rows)
        size = os.path.getsize(path) / 1e6
        env = dict(os.environ, OCTOPUSH_API_LOGIN="bench@example.com", OCTOPUSH_API_KEY="bench")
        ours, ours_mem = measure([binary, "enqueue", path, "--state", os.path.join(work, "state"), "--log-level", "error"], env)
        theirs, theirs_mem = measure(["sqlite3", os.path.join(work, "ref.sqlite"), ".mode csv", f".import {path} accounts"])
        print(f"file: {rows} rows, {size:.1f} MB")
        print(f"{'tool':<22}{'seconds':>9}{'rows/s':>12}{'peak MiB':>10}")
        print(f"{'subimport enqueue':<22}{ours:>9.2f}{rows / ours:>12.0f}{ours_mem:>10.1f}")
        print(f"{'sqlite3 .import':<22}{theirs:>9.2f}{rows / theirs:>12.0f}{theirs_mem:>10.1f}")
        print(f"ratio (subimport rows/s ÷ sqlite3 rows/s): {theirs / ours:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

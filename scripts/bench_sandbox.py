#!/usr/bin/env python3
"""Sandbox create throughput at scale: `subimport sandbox --quota 0` processes driven by
`wrk -t1 -c32` with Octopush creates (one new account each): one filled to 200,000 accounts,
then short runs alternating between a sandbox started afresh and the filled one, in the same
run; prints the medians and the ratio (target >= 0.7). Then SMSPartner list pages: requests/s
for page 1 and for the last page of a master with 20,000 sub-accounts (a page must cost the
same wherever it is). BENCH_SANDBOX_ACCOUNTS / BENCH_SANDBOX_LIST_ACCOUNTS change the sizes.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TARGET = int(os.environ.get("BENCH_SANDBOX_ACCOUNTS", "200000"))
LIST_ACCOUNTS = int(os.environ.get("BENCH_SANDBOX_LIST_ACCOUNTS", "20000"))
SECONDS = 3
ROUNDS = 3

CREATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api-login"] = "bench@example.com"
wrk.headers["api-key"] = "bench-key"
wrk.body = '{"first_name":"Bench","last_name":"Marks","password":"bench-password"}'
"""

SMSPARTNER_LUA = """
counter = 0
request = function()
    counter = counter + 1
    local body = string.format(
        '{"apiKey":"lister","type":"simple","parameters":{"email":"u%%d-%s@example.fr"}}', counter)
    return wrk.format("POST", "/v1/subaccount/create", {["Content-Type"] = "application/json"}, body)
end
"""


def wrk(url, script, seconds, connections=32):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", handle.name, url],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error answers:\n{output}")
    return float(match.group(1))


def stats(base):
    with urllib.request.urlopen(base + "/_sandbox/stats") as answer:
        return json.load(answer)


def listed(base):
    with urllib.request.urlopen(base + "/v1/subaccount/list?apiKey=lister") as answer:
        return json.load(answer)["total"]


class Sandbox:
    """A `subimport sandbox --quota 0` process on a free port."""

    def __init__(self, binary):
        self.process = subprocess.Popen(
            [binary, "sandbox", "--port", "0", "--quota", "0", "--log-level", "error"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = re.search(r"(http://\S+)", self.process.stdout.readline()).group(1)
        self.create = self.base + "/v1/public/subaccount/create"

    def rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def stop(self):
        self.process.terminate()
        self.process.wait()


def main():
    binary = sys.argv[1]
    loaded = Sandbox(binary)
    try:
        while stats(loaded.base)["accounts"] < TARGET:
            wrk(loaded.create, CREATE_LUA, 5)
        # Alternate short runs on a sandbox started afresh each time and on the loaded one, so
        # that a change in the machine's load hits both sides alike; medians of each.
        fresh_rates, loaded_rates = [], []
        for _ in range(ROUNDS):
            fresh = Sandbox(binary)
            try:
                fresh_rates.append(wrk(fresh.create, CREATE_LUA, SECONDS))
            finally:
                fresh.stop()
            loaded_rates.append(wrk(loaded.create, CREATE_LUA, SECONDS))
        fresh_rate, loaded_rate = statistics.median(fresh_rates), statistics.median(loaded_rates)
        print(f"sandbox creates/s (median of {ROUNDS} runs of {SECONDS} s, wrk -t1 -c32): fresh {fresh_rate:.0f}, "
              f"holding {TARGET}+ accounts {loaded_rate:.0f} (now {stats(loaded.base)['accounts']}); "
              f"ratio {loaded_rate / fresh_rate:.2f} (target >= 0.7); loaded sandbox RSS {loaded.rss_mib():.0f} MiB")

        round_number = 0
        while listed(loaded.base) < LIST_ACCOUNTS:
            round_number += 1  # each run numbers its emails from 1: a fresh tag keeps them unique
            wrk(loaded.base + "/", SMSPARTNER_LUA % f"{int(time.time())}r{round_number}", 2)
        total = listed(loaded.base)
        last = (total + 19) // 20
        list_lua = 'wrk.method = "GET"\n'
        first_page = wrk(loaded.base + "/v1/subaccount/list?apiKey=lister&page=1", list_lua, SECONDS)
        last_page = wrk(loaded.base + f"/v1/subaccount/list?apiKey=lister&page={last}", list_lua, SECONDS)
        print(f"sandbox list pages/s ({total} sub-accounts of one master): page 1 {first_page:.0f}, "
              f"page {last} {last_page:.0f}; ratio {last_page / first_page:.2f}")
    finally:
        loaded.stop()


if __name__ == "__main__":
    main()

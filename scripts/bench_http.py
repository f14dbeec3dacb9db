#!/usr/bin/env python3
"""The send path against a fast static endpoint, with its reference in the same run.

nginx (one worker, on a free loopback port) answers every `POST /v1/public/subaccount/create`
with a fixed `201 {"api_key":…,"api_login":…}`. The reference is `wrk -t1 -c32 -d5s` POSTing
to it; then `subimport import` of ROWS generated rows with `--rate 0 --concurrency 32` against
the same nginx, in a fresh state folder. Prints both rates, the ratio, and the CPU time
(user + sys, from getrusage of the child) per settled row.
"""
import os
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ENV = dict(os.environ, OCTOPUSH_API_LOGIN="bench@example.com", OCTOPUSH_API_KEY="bench-key")
CONCURRENCY = 32


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_config(folder, port):
    return f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location = /v1/public/subaccount/create {{
            default_type application/json;
            return 201 '{{"api_key":"k3y0000000000000000000000000000000000000","api_login":"sub@example.com"}}';
        }}
    }}
}}
"""


def wait_port(port, deadline):
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"nginx did not listen on {port}")


def wrk_rate(folder, port):
    script = os.path.join(folder, "post.lua")
    with open(script, "w") as handle:
        handle.write(
            'wrk.method = "POST"\n'
            'wrk.body = \'{"first_name":"Ann","last_name":"Lee","password":"secret-pw-1"}\'\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    output = subprocess.run(
        ["wrk", "-t1", f"-c{CONCURRENCY}", "-d5s", "-s", script, f"http://127.0.0.1:{port}/v1/public/subaccount/create"],
        check=True, capture_output=True, text=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not found:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    return float(found.group(1))


def main():
    rows = int(sys.argv[1])
    binary = sys.argv[2]
    folder = tempfile.mkdtemp(prefix="subimport-bench-http-")
    port = free_port()
    with open(os.path.join(folder, "nginx.conf"), "w") as handle:
        handle.write(nginx_config(folder, port))
    nginx = subprocess.Popen(["nginx", "-c", os.path.join(folder, "nginx.conf"), "-p", folder],
                             stderr=subprocess.DEVNULL)
    try:
        wait_port(port, time.time() + 10)
        reference = wrk_rate(folder, port)
        print(f"wrk -t1 -c{CONCURRENCY} -d5s (POST, nginx one worker): {reference:,.0f} requests/s")
        csv = os.path.join(folder, "rows.csv")
        with open(csv, "w") as handle:
            handle.write("first_name,last_name,password,company_name\n")
            for i in range(rows):
                handle.write(f"First{i},Last{i},secret-{i}-pw,Company {i}\n")
        state = os.path.join(folder, "state")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run(
            [binary, "import", csv, "--rate", "0", "--concurrency", str(CONCURRENCY),
             "--base-url", f"http://127.0.0.1:{port}", "--state", state,
             "--reports", os.path.join(folder, "reports"), "--log-level", "error"],
            env=ENV, capture_output=True, text=True,
        )
        elapsed = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"subimport import exited {result.returncode}:\n{result.stderr[-2000:]}")
        with sqlite3.connect(os.path.join(state, "queue.sqlite")) as db:
            settled = db.execute("SELECT COUNT(*) FROM job WHERE state = 'created'").fetchone()[0]
        if settled != rows:
            raise SystemExit(f"only {settled} of {rows} rows were created")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rate = rows / elapsed
        print(f"subimport import {rows:,} rows --rate 0 --concurrency {CONCURRENCY}: {elapsed:.2f} s, "
              f"{rate:,.0f} rows/s")
        print(f"ratio to wrk: {rate / reference:.3f}x")
        print(f"CPU per settled row (user {after.ru_utime - before.ru_utime:.2f} s + sys "
              f"{after.ru_stime - before.ru_stime:.2f} s) / rows: {cpu / rows * 1e6:.0f} us")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

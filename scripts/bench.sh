#!/usr/bin/env bash
# Benchmarks, with a release binary built in .build-release/:
#   scripts/bench.sh [ingest|watch|sandbox|http|inbox|scale|queue|all] [ROWS]   (default: all, 1000000 rows)
#   ingest: `subimport enqueue` of a generated CSV against `sqlite3 .import` of the same file
#           (rows/s of each, the ratio, each one's peak memory);
#   watch:  `subimport watch` latency from a file's rename into the inbox / close to its first
#           row sent (median and p90 over 20 files each), against `subimport import` start to
#           first row sent;
#   sandbox: `subimport sandbox` creates/s under wrk, fresh and holding 200,000 accounts, and
#           the ratio (target >= 0.7); SMSPartner list page 1 against the last page (needs wrk);
#   http:   `subimport import` of ROWS (default 20000) rows with `--rate 0 --concurrency 32`
#           against nginx answering a fixed 201, against `wrk -t1 -c32` on the same nginx
#           (rows/s, requests/s, the ratio, CPU per settled row; needs nginx and wrk);
#   inbox:  an inbox burst: 1,000 files of 3 rows renamed into `subimport watch`'s inbox at once
#           (instant sandbox, --rate 0): time until all are queued, archived and reported.
#   scale:  a ROWS-row batch (default 1,000,000): `enqueue`, then `status` and `report` of the
#           ingested batch, each one's wall time and peak memory (`/usr/bin/time -v`).
#   queue:  claim-and-settle throughput with an instant provider (`sandbox --quota 0`, --rate 0):
#           `subimport work` of ROWS (default 5000) rows on SQLite, on PostgreSQL with 1 and with
#           3 processes sharing the queue (a throwaway cluster, scripts/postgres-cluster.sh), and
#           pgbench's TPC-B-like and claim-and-settle figures on the same server (rows/s, ratios).
# A first argument that is a number is the ROWS of `all` (the older `scripts/bench.sh ROWS`).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
if [[ "$which" =~ ^[0-9]+$ ]]; then
    rows="$which"
    which=all
else
    rows="${2:-1000000}"
fi
swift build -c release --product subimport --scratch-path .build-release >&2
binary="$(swift build -c release --scratch-path .build-release --show-bin-path)/subimport"
case "$which" in
ingest) python3 scripts/bench_ingest.py "$rows" "$binary" ;;
watch) python3 scripts/bench_watch.py "$binary" ;;
sandbox) python3 scripts/bench_sandbox.py "$binary" ;;
http) python3 scripts/bench_http.py "${2:-20000}" "$binary" ;;
inbox) python3 scripts/bench_inbox.py "$binary" ;;
scale) python3 scripts/bench_scale.py "$binary" "$rows" ;;
queue) python3 scripts/bench_queue.py "$binary" "${2:-5000}" ;;
all)
    python3 scripts/bench_ingest.py "$rows" "$binary"
    python3 scripts/bench_watch.py "$binary"
    python3 scripts/bench_inbox.py "$binary"
    python3 scripts/bench_scale.py "$binary" "$rows"
    ;;
*)
    echo "usage: scripts/bench.sh [ingest|watch|sandbox|http|inbox|scale|queue|all] [ROWS]" >&2
    exit 2
    ;;
esac

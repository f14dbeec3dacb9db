#!/usr/bin/env bash
# Ingest benchmark: `subimport enqueue` of a generated CSV against `sqlite3 .import` of the same
# file, in the same run; prints rows/s of each, the ratio, and each one's peak memory.
# Usage: scripts/bench.sh [ROWS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
swift build -c release --product subimport --scratch-path .build-release >&2
exec python3 scripts/bench_ingest.py "$rows" "$(swift build -c release --scratch-path .build-release --show-bin-path)/subimport"

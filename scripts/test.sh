#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the engine against the real sandbox over loopback,
# the real `subimport` binary end to end, and the queue on a real PostgreSQL server: a throwaway
# cluster (scripts/postgres-cluster.sh) started here and stopped on exit, even on failure.
# Usage: scripts/test.sh [extra `swift test` args]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
cluster=""
trap '[ -z "$cluster" ] || scripts/postgres-cluster.sh stop "$cluster"' EXIT
# A machine without PostgreSQL gets Debian's when we may install packages (root with apt-get).
if ! scripts/postgres-cluster.sh available 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing Debian's postgresql for the shared-queue tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >&2 ||
        echo "test.sh: could not install postgresql" >&2
fi
if scripts/postgres-cluster.sh available; then
    # No test crashes the server: without fsync, each test's CREATE DATABASE is cheap.
    env_file="$(SUBIMPORT_TEST_POSTGRES_HOLDER=$$ SUBIMPORT_TEST_POSTGRES_FSYNC=off scripts/postgres-cluster.sh start)"
    cluster="$(dirname "$env_file")"
    # shellcheck disable=SC1090
    source "$env_file"
else
    echo "test.sh: PostgreSQL is not installed (Debian, as root: apt-get install postgresql): the PostgreSQL tests are skipped" >&2
fi
if (($#)); then
    swift test --skip-build "$@"
else
    # Tests that measure a request rate across processes run on their own, after the rest:
    # a rate is only measurable when the machine's 2 cores are not busy with 300 other tests.
    paced='KeepToTheRate|HalvesTheOthersPace|AtTheSharedRate'
    swift test --skip-build --skip "$paced"
    swift test --skip-build --no-parallel --filter "$paced"
fi

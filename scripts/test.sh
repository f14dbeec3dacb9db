#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the engine against the real sandbox over loopback,
# and the real `subimport` binary end to end. Usage: scripts/test.sh [extra `swift test` args]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"

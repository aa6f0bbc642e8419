#!/usr/bin/env bash
# Runs every test: unit tests, end-to-end tests over loopback sockets and real SQLite files,
# and the tests that drive the real wechat-server binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"

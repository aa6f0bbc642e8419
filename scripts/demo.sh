#!/usr/bin/env bash
# Builds and starts the whole server stack (two chat servers) on loopback with its data in
# .demo-data/. Verification codes land in .demo-data/dev-mailbox.txt. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product wechat-server
exec .build/debug/wechat-server --data-dir "$PWD/.demo-data" --chat-servers 2 "$@"

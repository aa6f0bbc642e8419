#!/usr/bin/env bash
# Builds the terminal client and opens it with the whole server stack running in the same process
# (gate on 127.0.0.1:8888, chat on :8090) and demo accounts that are already friends, with history.
# In a second terminal, `.build/debug/wechat` signs in to it as another user (bob / demo-pass).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product wechat
exec .build/debug/wechat --serve --demo "$@"

#!/usr/bin/env bash
# Fails if the committed generated code (Sources/ChatProtocol/Generated) is not what the .proto
# files generate today: someone edited one without the other. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
OUT_DIR=$fresh scripts/generate-protos.sh >/dev/null
if ! diff -r "$fresh" Sources/ChatProtocol/Generated; then
  echo "Sources/ChatProtocol/Generated is out of date: run scripts/generate-protos.sh and commit the result." >&2
  exit 1
fi
echo "generated protobuf code matches Protos/"

#!/usr/bin/env bash
# Fails if the committed generated code (Sources/ChatProtocol/Generated and
# Sources/ClusterRPC/Generated) is not what the .proto files generate today: someone edited one
# without the other. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
OUT_ROOT=$fresh scripts/generate-protos.sh >/dev/null
for module in ChatProtocol ClusterRPC; do
  if ! diff -r "$fresh/$module/Generated" "Sources/$module/Generated"; then
    echo "Sources/$module/Generated is out of date: run scripts/generate-protos.sh and commit the result." >&2
    exit 1
  fi
done
echo "generated protobuf and gRPC code matches Protos/"

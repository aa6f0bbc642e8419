#!/usr/bin/env bash
# Regenerates Sources/ChatProtocol/Generated from Protos/. The output is committed, so a normal
# build never needs protoc. Needs Debian's protobuf-compiler and protoc-gen-swift built from the
# swift-protobuf version in Package.swift:
#   git clone <swift-protobuf> -b 1.39.0 /tmp/sp && (cd /tmp/sp && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/sp/.build/release/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Public \
  --swift_out=Sources/ChatProtocol/Generated \
  --swift_opt=FileNaming=DropPath \
  -I Protos Protos/wechat/v1/chat.proto
echo "generated: $(ls Sources/ChatProtocol/Generated)"

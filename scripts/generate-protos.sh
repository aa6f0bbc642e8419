#!/usr/bin/env bash
# Regenerates Sources/ChatProtocol/Generated from Protos/. The output is committed, so a normal
# build never needs protoc. Needs Debian's protobuf-compiler; protoc-gen-swift is built from the
# swift-protobuf that Package.swift resolves (into .build-protoc-gen-swift, once) unless
# PROTOC_GEN_SWIFT names one. OUT_DIR writes elsewhere (scripts/check-generated.sh compares).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT_DIR:-Sources/ChatProtocol/Generated}
plugin=${PROTOC_GEN_SWIFT:-}
if [[ -z $plugin ]]; then
  swift package resolve >/dev/null
  swift build --package-path .build/checkouts/swift-protobuf --scratch-path .build-protoc-gen-swift \
    --product protoc-gen-swift >/dev/null
  plugin=$PWD/.build-protoc-gen-swift/debug/protoc-gen-swift
fi
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Public \
  --swift_out="$out" \
  --swift_opt=FileNaming=DropPath \
  -I Protos Protos/wechat/v1/chat.proto
echo "generated: $(ls "$out")"

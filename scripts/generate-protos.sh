#!/usr/bin/env bash
# Regenerates the committed protobuf and gRPC code from Protos/:
# - Sources/ChatProtocol/Generated: the client wire schema (wechat/v1), public;
# - Sources/ClusterRPC/Generated: the messages and gRPC stubs between a cluster's services
#   (wechat/cluster/v1, grpc/health/v1), internal to ClusterRPC.
# A normal build never needs protoc. Needs Debian's protobuf-compiler; protoc-gen-swift and
# protoc-gen-grpc-swift-2 are built once from the packages Package.swift resolves (into
# .build-protoc-gen-swift and .build-protoc-gen-grpc-swift) unless PROTOC_GEN_SWIFT and
# PROTOC_GEN_GRPC_SWIFT name them. OUT_ROOT writes elsewhere (scripts/check-generated.sh compares).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${OUT_ROOT:-Sources}
swift_plugin=${PROTOC_GEN_SWIFT:-}
grpc_plugin=${PROTOC_GEN_GRPC_SWIFT:-}
if [[ -z $swift_plugin || -z $grpc_plugin ]]; then
  swift package resolve >/dev/null
fi
if [[ -z $swift_plugin ]]; then
  swift build --package-path .build/checkouts/swift-protobuf --scratch-path .build-protoc-gen-swift \
    --product protoc-gen-swift >/dev/null
  swift_plugin=$PWD/.build-protoc-gen-swift/debug/protoc-gen-swift
fi
if [[ -z $grpc_plugin ]]; then
  swift build --package-path .build/checkouts/grpc-swift-protobuf --scratch-path .build-protoc-gen-grpc-swift \
    --product protoc-gen-grpc-swift-2 >/dev/null
  grpc_plugin=$PWD/.build-protoc-gen-grpc-swift/debug/protoc-gen-grpc-swift-2
fi

wire=$root/ChatProtocol/Generated
mkdir -p "$wire"
protoc --plugin=protoc-gen-swift="$swift_plugin" \
  --swift_opt=Visibility=Public \
  --swift_opt=FileNaming=DropPath \
  --swift_out="$wire" \
  -I Protos Protos/wechat/v1/chat.proto

cluster=$root/ClusterRPC/Generated
mkdir -p "$cluster"
cluster_protos=(Protos/wechat/cluster/v1/*.proto Protos/grpc/health/v1/health.proto)
protoc --plugin=protoc-gen-swift="$swift_plugin" \
  --plugin=protoc-gen-grpc-swift-2="$grpc_plugin" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=PathToUnderscores \
  --swift_out="$cluster" \
  --grpc-swift-2_opt=Visibility=Internal \
  --grpc-swift-2_opt=FileNaming=PathToUnderscores \
  --grpc-swift-2_out="$cluster" \
  -I Protos "${cluster_protos[@]}"
echo "generated: $(ls "$wire" "$cluster" | tr '\n' ' ')"

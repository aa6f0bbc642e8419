#!/usr/bin/env bash
# Formats the tree with the toolchain's swift-format and the checked-in `.swift-format` (swift-nio's
# configuration). `--check` changes nothing and fails on any unformatted line: what `.ci/run` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests Benchmarks)
if [[ ${1:-} == --check ]]; then
  swift format lint --strict --recursive --parallel "${paths[@]}"
else
  swift format --in-place --recursive --parallel "${paths[@]}"
fi

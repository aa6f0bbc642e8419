#!/usr/bin/env bash
# Fuzzes both ends of the chat protocol with libFuzzer for a bounded time, half of it each:
#   wechat-fuzz         the chat server's connection pipeline (framing, the connection state
#                       machine, every request), starting from the seeds in Fuzz/corpus;
#   wechat-fuzz-client  the client against a hostile server (its connection, session and cache,
#                       and the file names it derives), starting from Fuzz/client-corpus.
#
#   scripts/fuzz.sh [SECONDS]     (default 60 in all; CI runs it after the tests)
#
# The builds go to .build-fuzz (every module instrumented with -sanitize=fuzzer), apart from the
# normal .build. New interesting inputs collect in .build-fuzz/corpus and .build-fuzz/client-corpus;
# a crash leaves its input in .build-fuzz/artifacts or .build-fuzz/client-artifacts, which
# `swift run wechat-fuzz FILE` or `swift run wechat-fuzz-client FILE` replays in a normal build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
# libFuzzer reads -max_total_time=0 as "no limit": each target gets at least a second.
server_seconds=$((seconds / 2))
((server_seconds > 0)) || server_seconds=1
client_seconds=$((seconds - server_seconds))
((client_seconds > 0)) || client_seconds=1
for product in wechat-fuzz wechat-fuzz-client; do
  swift build --sanitize=fuzzer --scratch-path .build-fuzz -Xswiftc -DFUZZING --product "$product"
done

# fuzz PRODUCT SECONDS CORPUS SEEDS ARTIFACTS: runs one target; non-zero if it found something.
fuzz() {
  local product=$1 time=$2 corpus=$3 seeds=$4 artifacts=$5
  local log=.build-fuzz/$product.log
  # The harnesses keep their databases in the temporary directory; the fuzzer's process is
  # killed at the end and never removes them, so they get a directory of their own, removed here.
  local scratch=$PWD/.build-fuzz/tmp/$product
  rm -rf "$scratch"
  mkdir -p "$corpus" "$artifacts" "$scratch"
  # One worker: the machine has two cores and each harness is itself multi-threaded. -timeout
  # makes a hang a failure; -rss_limit_mb makes unbounded memory growth one.
  set +e
  TMPDIR=$scratch .build-fuzz/debug/"$product" "$corpus" "$seeds" \
    -max_total_time="$time" -max_len=70000 -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 | tee "$log" | grep -E "INITED|DONE|Done|ERROR|crash|deadly|Test unit written|SUMMARY"
  local status=${PIPESTATUS[0]}
  set -e
  rm -rf "$scratch"
  if [[ $status -ne 0 ]]; then
    echo "fuzz: $product FAILED (exit $status); the input is in $artifacts; full log: $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
  local runs
  runs=$(grep -Eo "Done [0-9]+ runs" "$log" | grep -Eo "[0-9]+" || echo 0)
  echo "fuzz: $product: ${runs} inputs in ${time} s, no crash, hang or runaway memory (log: $log)"
}

failed=0
fuzz wechat-fuzz "$server_seconds" .build-fuzz/corpus Fuzz/corpus .build-fuzz/artifacts || failed=1
fuzz wechat-fuzz-client "$client_seconds" .build-fuzz/client-corpus Fuzz/client-corpus .build-fuzz/client-artifacts || failed=1
exit "$failed"

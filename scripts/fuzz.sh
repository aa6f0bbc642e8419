#!/usr/bin/env bash
# Fuzzes the chat server's connection pipeline (framing, the connection state machine, every request) with
# libFuzzer for a bounded time, starting from the seed corpus in Fuzz/corpus.
#
#   scripts/fuzz.sh [SECONDS]     (default 60; CI runs it after the tests)
#
# The build goes to .build-fuzz (every module instrumented with -sanitize=fuzzer), apart from the
# normal .build. New interesting inputs collect in .build-fuzz/corpus; a crash leaves its input in
# .build-fuzz/artifacts, which `swift run wechat-fuzz FILE` replays in a normal build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
swift build --sanitize=fuzzer --scratch-path .build-fuzz -Xswiftc -DFUZZING --product wechat-fuzz
mkdir -p .build-fuzz/corpus .build-fuzz/artifacts
log=.build-fuzz/fuzz.log
# One worker: the machine has two cores and the harness itself is multi-threaded. -timeout makes a
# hang a failure; -rss_limit_mb makes unbounded memory growth one.
set +e
.build-fuzz/debug/wechat-fuzz .build-fuzz/corpus Fuzz/corpus \
  -max_total_time="$seconds" -max_len=70000 -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 2>&1 | tee "$log" | grep -E "INITED|DONE|Done|ERROR|crash|deadly|Test unit written|SUMMARY"
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "fuzz: FAILED (exit $status); the input is in .build-fuzz/artifacts; full log: $log" >&2
  tail -40 "$log" >&2
  exit 1
fi
runs=$(grep -Eo "Done [0-9]+ runs" "$log" | grep -Eo "[0-9]+" || echo 0)
echo "fuzz: ${runs} inputs in ${seconds} s, no crash, hang or runaway memory (log: $log)"

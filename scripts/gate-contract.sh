#!/usr/bin/env bash
# The gate's hostile-input suite, generated from its contract: schemathesis (from PyPI) reads
# docs/gate-openapi.yaml and sends a real wechat-server well-formed and malformed requests for
# every operation (wrong types, missing fields, odd Unicode, huge strings, missing or forged
# tokens, undocumented methods), checking every answer against the spec: no 5xx, only documented
# statuses, headers and content types, bodies matching their schemas, invalid data refused and
# valid data accepted.
#
#   scripts/gate-contract.sh [SCHEMATHESIS-RUN-OPTIONS]     (CI runs it from scripts/test.sh)
#
# Options go to `schemathesis run` (e.g. --include-operation-id signIn). The seed is fixed, so a
# CI run fails only for a change in the code or the spec; CONTRACT_SEED=N explores elsewhere.
# Environment: WECHAT_SERVER, the binary (default .build/debug/wechat-server; this script builds
# nothing); CONTRACT_EXAMPLES, examples per operation and phase (default 200: about 30 s). Python
# packages go to .build/contract-venv; examples that failed once are kept in
# .build/contract-examples and .build/contract-cache, and tried first next time.
set -euo pipefail
cd "$(dirname "$0")/.."

schemathesis_version=4.32.5
server=${WECHAT_SERVER:-.build/debug/wechat-server}
examples=${CONTRACT_EXAMPLES:-200}
venv=.build/contract-venv
spec=docs/gate-openapi.yaml

[[ -x $server ]] || {
  echo "gate-contract: no server binary at $server (swift build first, or set WECHAT_SERVER)" >&2
  exit 1
}
if [[ ! -x $venv/bin/schemathesis ]] || [[ $($venv/bin/schemathesis --version 2>/dev/null) != *" $schemathesis_version"* ]]; then
  echo "gate-contract: installing schemathesis $schemathesis_version into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gate-contract.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Free loopback ports (0), a throwaway data directory and dev mailbox. The limits stay on (their
# code runs on every request) but high enough that the generated requests reach the handlers
# behind them: with the defaults, the 21st bad sign-in from 127.0.0.1 would lock the address out
# and every later sign-in, the one that gets the suite its token among them, would be 429. The
# 429s that no flag turns off (one code a minute per address, a burnt code) still come, and the
# spec lists them.
"$server" --host 127.0.0.1 --gate-port 0 --chat-port 0 --data-dir "$work/data" --log-level warning \
  --sign-in-failures 100000 --code-mails-per-hour 1000000 >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
gate=""
for _ in $(seq 300); do
  gate=$(sed -n 's/^wechat-server ready .*gate-url=\([^ ]*\).*$/\1/p' "$work/server.out")
  [[ -n $gate ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $gate ]]; then
  echo "gate-contract: the server did not start" >&2
  cat "$work/server.out" "$work/server.log" >&2
  exit 1
fi

# An account to sign in with, so the operations behind a token are tested signed in too: a code
# from the dev mailbox, then the account.
account=contract-suite
password=contract-suite-password
email=contract-suite@example.com
"$venv/bin/python" - "$gate" "$work/data/dev-mailbox.txt" "$account" "$email" "$password" <<'EOF'
import json, sys, time, urllib.request
gate, mailbox, username, email, password = sys.argv[1:]
def post(path, body):
    request = urllib.request.Request(gate + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
for attempt in range(100):  # the gate answers
    try:
        with urllib.request.urlopen(gate + "/api/v1/health", timeout=2) as response:
            break
    except OSError:
        time.sleep(0.1)
assert post("/api/v1/verification-codes", {"email": email, "purpose": "register"}) == 202
code = None
for _ in range(50):
    try:
        recipient = None
        for line in open(mailbox, encoding="utf-8"):
            if line.startswith("To: "):
                recipient = line[4:].strip()
            elif line.startswith("Subject: ") and recipient == email:
                code = line.split()[-1]
    except FileNotFoundError:
        pass
    if code:
        break
    time.sleep(0.1)
assert code, "no code in the dev mailbox"
assert post("/api/v1/users", {"username": username, "email": email, "password": password, "code": code}) == 201
EOF

# Every check schemathesis has is on (its default; `--checks all` on the command line would
# override the per-operation settings below), and every warning fails the run, but for what
# cannot apply to an operation:
# - POST /api/v1/users and POST /api/v1/password-resets need the code mailed to the address, which
#   no generator can know: every well-formed request they get is rightly refused as 400
#   `invalid_code`. So positive_data_acceptance (a well-formed request must succeed or be
#   401/403/404/409/429) is off for them, and so are the warnings that say "valid data was refused"
#   (validation_mismatch, missing_test_data). Every other check stays on for them.
# - POST /api/v1/sessions answers a wrong password 401, as it should: the missing_auth warning
#   ("only 401s: are the credentials right?") is about operations behind a token, not this one.
# The suite signs in as the account above for the operations behind a token (and again after it
# signs itself out with DELETE /api/v1/sessions/current: a 401 makes schemathesis fetch a new one).
warnings_but() { # the TOML list of every warning but the arguments
  local all=(missing_auth missing_test_data base_url_mismatch validation_mismatch missing_deserializer
    unused_openapi_auth unsupported_regex method_not_allowed constants_extraction unmatched_filter
    unresolvable_reference low_valid_rate rate_limited dictionary_mismatch timeout_units)
  local list="" w
  for w in "${all[@]}"; do [[ " $* " == *" $w "* ]] || list+="\"$w\", "; done
  echo "[${list%, }]"
}
cat >"$work/schemathesis.toml" <<EOF
[auth.dynamic.openapi.bearerAuth]
path = "/api/v1/sessions"
method = "post"
payload = { account = "$account", password = "$password" }
extract_selector = "/token"

[cache]
directory = "$PWD/.build/contract-cache"

[warnings]
fail-on = true

[[operations]]
include-operation-id = ["register", "resetPassword"]
checks.positive_data_acceptance.enabled = false
warnings = { display = $(warnings_but validation_mismatch missing_test_data), fail-on = true }

[[operations]]
include-operation-id = "signIn"
warnings = { display = $(warnings_but missing_auth), fail-on = true }
EOF

# Hypothesis's own files (Unicode tables, constants) go there too, not to .hypothesis in the tree.
export HYPOTHESIS_STORAGE_DIRECTORY=.build/contract-hypothesis
started=$SECONDS
set +e
# One worker: two cores, and the server is on one of them. `timeout` bounds the whole run.
timeout --kill-after=10 480 "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$spec" \
  --url "$gate" \
  --max-examples "$examples" \
  --workers 1 \
  --request-timeout 10 \
  --generation-database .build/contract-examples \
  --seed "${CONTRACT_SEED:-20261203}" \
  --no-color \
  "$@" 2>&1 | tee "$work/schemathesis.log"
status=${PIPESTATUS[0]}
set -e
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "gate-contract: FAILED: the server died during the run; its log:" >&2
  tail -50 "$work/server.log" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  [[ $status -eq 124 ]] && echo "gate-contract: FAILED: the run took over 480 s" >&2
  echo "gate-contract: FAILED (exit $status); server log:" >&2
  tail -50 "$work/server.log" >&2
  exit 1
fi
echo "gate-contract: $spec holds against $server ($((SECONDS - started)) s)"

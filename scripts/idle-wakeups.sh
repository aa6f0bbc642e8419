#!/usr/bin/env bash
# How often an idle terminal client wakes up (must-have 7: at most a few times a second).
#
# Starts `wechat --serve --demo` (the server stack, with its own client signed in as the first
# demo user) in one tmux session, and a second `wechat`, a client only, signed in as bob against
# the first one's ports in another, each with its own temporary HOME. Once bob's screen shows
# "connected" and a few quiet seconds have passed, it reads the context switches (voluntary and
# not) of every thread of bob's process from /proc/PID/task/*/status, waits, reads them again, and
# prints wake-ups per second: in all, and per thread, the UI thread marked (it sleeps in poll).
#
# Usage: scripts/idle-wakeups.sh [SECONDS]      (default 30; build first: swift build --product wechat)
# Environment: WECHAT_BINARY (default .build/debug/wechat), IDLE_WAKEUPS_LIMIT (default 3 per
# second): the exit status is 1 when the client woke more often than that.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
limit=${IDLE_WAKEUPS_LIMIT:-3}
binary=${WECHAT_BINARY:-.build/debug/wechat}
if [[ ! -x $binary ]]; then
  echo "idle-wakeups: no $binary; build it first: swift build --product wechat" >&2
  exit 2
fi
binary=$(realpath "$binary")
command -v tmux >/dev/null || { echo "idle-wakeups: needs tmux" >&2; exit 2; }

work=$(mktemp -d)
socket="idle-wakeups-$$"
tmux_() { tmux -u -L "$socket" "$@"; }
cleanup() {
  tmux_ kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
gate_port=$(free_port)
chat_port=$(free_port)

# A private HOME and XDG directories per process: the client must not resume the server's session.
environment() {
  local home="$work/$1"
  mkdir -p "$home/data" "$home/config" "$home/state"
  echo "HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_STATE_HOME=$home/state" \
    "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color"
}

wait_for() { # session text timeout
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if tmux_ capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2"; then return 0; fi
    sleep 0.5
  done
  echo "idle-wakeups: '$2' did not appear in the $1 session within $3 s; its screen:" >&2
  tmux_ capture-pane -p -t "$1" >&2 || true
  exit 2
}

tmux_ -f /dev/null new-session -d -s server -x 100 -y 30 \
  "env -i PATH=/usr/bin:/bin $(environment server) $binary --serve --demo --gate-port $gate_port --chat-port $chat_port" \
  \; set-option -g status off \; set-option -g escape-time 10
wait_for server "connected" 120

tmux_ new-session -d -s client -x 100 -y 30 \
  "env -i PATH=/usr/bin:/bin $(environment client) $binary --server http://127.0.0.1:$gate_port"
wait_for client "Password" 30
tmux_ send-keys -t client -l "bob"
tmux_ send-keys -t client Enter
tmux_ send-keys -t client -l "demo-pass"
tmux_ send-keys -t client Enter
wait_for client "connected" 30

# The pane runs `env`, which execs wechat; should a shell stand between, its wechat child is taken.
pane_pid=$(tmux_ display-message -p -t client '#{pane_pid}')
pid=$pane_pid
if [[ $(cat "/proc/$pid/comm") != wechat ]]; then
  pid=$(grep -l "^PPid:[[:space:]]*$pane_pid\$" /proc/[0-9]*/status 2>/dev/null | while read -r status; do
    dir=${status%/status}
    [[ $(cat "$dir/comm" 2>/dev/null) == wechat ]] && echo "${dir#/proc/}"
  done | head -n 1 || true)
fi
[[ -n $pid && -d /proc/$pid ]] || { echo "idle-wakeups: cannot find the client's process" >&2; exit 2; }

# Sign-in done, history loaded: let the first sync settle before measuring.
sleep 5
echo "idle-wakeups: measuring the client-only process $pid for $seconds s…"
python3 - "$pid" "$seconds" "$limit" <<'PY'
import glob, os, sys, time

pid, seconds, limit = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""

def snapshot():
    threads = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        switches = 0
        for line in read(task + "/status").splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
        threads[os.path.basename(task)] = (read(task + "/comm").strip(), read(task + "/wchan").strip(), switches)
    return threads

before = snapshot()
time.sleep(seconds)
after = snapshot()
if not after:
    sys.exit("idle-wakeups: the client exited while measured")

rows = []
for tid, (comm, wchan, switches) in after.items():
    woke = switches - before.get(tid, (comm, wchan, 0))[2]
    # The UI thread waits in poll(2) on the terminal and its wake pipe; event loops use epoll.
    ui = "poll" in wchan and "ep_poll" not in wchan and "epoll" not in wchan
    rows.append((woke, tid, comm, wchan, ui))
rows.sort(reverse=True)
total = sum(row[0] for row in rows)
gone = len(set(before) - set(after))
print(f"{'thread':>8}  {'wake-ups/s':>10}  {'name':<16} waits in")
for woke, tid, comm, wchan, ui in rows:
    print(f"{tid:>8}  {woke / seconds:>10.2f}  {comm:<16} {wchan or '-'}{'   <- UI thread' if ui else ''}")
ui_rate = sum(row[0] for row in rows if row[4]) / seconds
print(f"threads: {len(rows)}" + (f" ({gone} ended while measured, not counted)" if gone else ""))
print(f"UI thread: {ui_rate:.2f} wake-ups/s")
print(f"client process: {total / seconds:.2f} wake-ups/s over {seconds:.0f} s (limit {limit:g})")
sys.exit(0 if total / seconds <= limit else 1)
PY

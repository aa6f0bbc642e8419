#!/usr/bin/env bash
# A whole cluster on this machine, every process on its own loopback address so each looks like
# its own host (Linux routes all of 127.0.0.0/8 to loopback):
#
#   PostgreSQL 127.0.0.1:55432      Redis 127.0.0.1:56379
#   verify     127.0.0.2:7201       status 127.0.0.3:7301
#   gate-1     127.0.0.4:8888       gate-2 127.0.0.5:8888
#   chat-1     127.0.0.6:8090 (push :7401)   chat-2 127.0.0.7:8090   chat-3 127.0.0.8:8090
#
#   scripts/cluster.sh up          initialise (first time) and start everything; prints the gates
#   scripts/cluster.sh down        stop exactly what `up` started (the data stays)
#   scripts/cluster.sh status      which processes run
#   scripts/cluster.sh stop NAME   stop one process (kill -9 with KILL=1), e.g. chat-2
#   scripts/cluster.sh start NAME  start one process again
#   scripts/cluster.sh purge       down, then delete the data
#
# NO_RATE_LIMITS=1 starts gates and chat nodes without rate limits (for wechat-bench).
# Everything lives under $WECHAT_CLUSTER_DIR (default /tmp/wechat-cluster): data, logs, pids,
# the dev mailbox. No system service is touched. PostgreSQL refuses to run as root, so as root
# it runs as the `postgres` user. WECHAT_SERVER picks the binary (default: a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${WECHAT_CLUSTER_DIR:-/tmp/wechat-cluster}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_port=55432
redis_port=56379
redis_url=redis://127.0.0.1:$redis_port
pg_url=postgres://wechat@127.0.0.1:$pg_port/wechat
server=${WECHAT_SERVER:-.build/debug/wechat-server}
names=(verify status gate-1 gate-2 chat-1 chat-2 chat-3)
# NO_RATE_LIMITS=1: gates and chat nodes without rate limits, for wechat-bench.
limits=$([[ ${NO_RATE_LIMITS:-} == 1 ]] && echo --no-rate-limits || true)

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The command line of one named process.
command_of() {
  local common=(--redis "$redis_url" --log-level "${LOG_LEVEL:-notice}")
  case $1 in
    verify) echo "$server verify --listen 127.0.0.2:7201 --data-dir $dir/mail ${common[*]}" ;;
    status) echo "$server status --listen 127.0.0.3:7301 --postgres $pg_url ${common[*]}" ;;
    gate-1 | gate-2)
      local host=127.0.0.$((${1#gate-} + 3))
      echo "$server gate --listen $host:8888 --postgres $pg_url --status 127.0.0.3:7301 --verify 127.0.0.2:7201 ${common[*]} $limits"
      ;;
    chat-1 | chat-2 | chat-3)
      local host=127.0.0.$((${1#chat-} + 5))
      echo "$server chat --id $1 --listen $host:8090 --push-listen $host:7401 --postgres $pg_url --status 127.0.0.3:7301 ${common[*]} $limits"
      ;;
    *) echo "unknown process '$1' (one of: ${names[*]})" >&2 && return 1 ;;
  esac
}

running() { [[ -f $dir/pids/$1 ]] && kill -0 "$(cat "$dir/pids/$1")" 2>/dev/null; }

start_one() {
  local name=$1 command
  command=$(command_of "$name")
  if running "$name"; then echo "$name already runs" && return 0; fi
  : >"$dir/logs/$name.out"
  # shellcheck disable=SC2086
  nohup $command >"$dir/logs/$name.out" 2>>"$dir/logs/$name.log" </dev/null &
  echo $! >"$dir/pids/$name"
  for _ in $(seq 1 300); do
    if grep -q " ready " "$dir/logs/$name.out"; then
      echo "  $(grep " ready " "$dir/logs/$name.out" | head -1)"
      return 0
    fi
    if ! running "$name"; then
      echo "$name did not start; the end of $dir/logs/$name.log:" >&2
      tail -5 "$dir/logs/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not become ready within 30 s; see $dir/logs/$name.log" >&2
  return 1
}

stop_one() {
  local name=$1 signal=${2:-TERM}
  running "$name" || { rm -f "$dir/pids/$name"; return 0; }
  local pid
  pid=$(cat "$dir/pids/$name")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pids/$name"
  echo "  stopped $name"
}

start_stores() {
  [[ -n $pg_bin ]] || { echo "PostgreSQL is not installed: scripts/install-deps.sh installs it." >&2; exit 1; }
  if [[ ! -d $dir/pg ]]; then
    mkdir -p "$dir/pg"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pg"
    as_postgres "$pg_bin/initdb" -D "$dir/pg" -U wechat --auth=trust -E UTF8 >"$dir/logs/initdb.log"
  fi
  if ! as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 30 \
      -o "-h 127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=300" start >/dev/null
    as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p $pg_port -U wechat wechat 2>/dev/null || true
  fi
  echo "  PostgreSQL 127.0.0.1:$pg_port (data $dir/pg)"
  if ! running redis; then
    redis-server --bind 127.0.0.1 --port $redis_port --dir "$dir/redis" --save "" --appendonly no \
      --daemonize no >"$dir/logs/redis.log" 2>&1 &
    echo $! >"$dir/pids/redis"
    for _ in $(seq 1 100); do redis-cli -p $redis_port ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "  Redis 127.0.0.1:$redis_port"
}

stop_stores() {
  stop_one redis
  if [[ -d $dir/pg ]] && as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null
    echo "  stopped PostgreSQL"
  fi
}

mkdir -p "$dir/logs" "$dir/pids" "$dir/redis" "$dir/mail"
case ${1:-} in
  up)
    scripts/install-deps.sh
    [[ -n ${WECHAT_SERVER:-} ]] || swift build --product wechat-server
    echo "cluster in $dir"
    start_stores
    for name in "${names[@]}"; do start_one "$name"; done
    echo
    echo "gates: http://127.0.0.4:8888 http://127.0.0.5:8888 (dev mailbox: $dir/mail/dev-mailbox.txt)"
    echo "try:   .build/debug/wechat --server http://127.0.0.4:8888 --server http://127.0.0.5:8888"
    ;;
  down)
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do stop_one "${names[$i]}"; done
    stop_stores
    ;;
  purge)
    "$0" down
    rm -rf "$dir"
    echo "removed $dir"
    ;;
  status)
    for name in redis "${names[@]}"; do
      if running "$name"; then echo "$name: running (pid $(cat "$dir/pids/$name"))"; else echo "$name: stopped"; fi
    done
    ;;
  stop) stop_one "${2:?name a process}" "$([[ ${KILL:-} == 1 ]] && echo KILL || echo TERM)" ;;
  start) start_one "${2:?name a process}" ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

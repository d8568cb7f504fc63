#!/usr/bin/env bash
# Runs LiveDrop's distributed shape on this machine: two realtime gateways, an api and a worker, each
# its own process on its own port, sharing the PostgreSQL, Redis and NATS JetStream that already run
# here, behind HAProxy (deploy/haproxy.cfg) when it is installed. Ctrl-C stops everything it started.
# See deploy/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/local-cluster.sh [--install]

Starts 2 realtime gateways, 1 api and 1 worker on the local PostgreSQL, Redis and NATS (JetStream),
and HAProxy in front of them when it is installed. Ctrl-C stops all of it.

  --install   install HAProxy with apt-get first if it is missing (Debian/Ubuntu; uses sudo when not root)

Environment (defaults in brackets):
  DATABASE_URL     [postgres://postgres@127.0.0.1:5432/livedrop]  created if missing
  REDIS_URL        [redis://127.0.0.1:6379]
  NATS_URL         [nats://127.0.0.1:4222]                        the server must run with JetStream (-js)
  LB_HOST, LB_PORT [127.0.0.1, 8080]                              where HAProxy listens
  API_PORT, REALTIME_1_PORT, REALTIME_2_PORT, WORKER_PORT  [3001, 3002, 3003, 3004]
  CLUSTER_DIR      [data/local-cluster]   DATA_DIR of the processes (shared secrets) and logs/
  LIVEDROP_CMD     how to run the CLI [node --import tsx src/main.ts, or node bin/livedrop.js]
  HAPROXY          the haproxy binary [found on PATH or /usr/sbin], or "off" to run without it
  LOG_LEVEL, REDIS_KEY_PREFIX, NATS_STREAM, NATS_SUBJECT_PREFIX, JWT_SECRET, PAYMENT_WEBHOOK_SECRET,
  RATE_LIMIT, ... are passed on to every process (see README.md).
EOF
}

install=0
for arg in "$@"; do
  case "$arg" in
    --install) install=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/livedrop}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
LB_HOST="${LB_HOST:-127.0.0.1}"
LB_PORT="${LB_PORT:-8080}"
API_PORT="${API_PORT:-3001}"
REALTIME_1_PORT="${REALTIME_1_PORT:-3002}"
REALTIME_2_PORT="${REALTIME_2_PORT:-3003}"
WORKER_PORT="${WORKER_PORT:-3004}"
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/data/local-cluster}"
LOGS="$CLUSTER_DIR/logs"
# All processes share one DATA_DIR: the secrets generated there on first start are the same for all.
export DATA_DIR="$CLUSTER_DIR"
# As npm start and the container image run the server (see the README's distributed shape).
export NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=32}"
if [[ -n "${LIVEDROP_CMD:-}" ]]; then
  read -r -a livedrop <<<"$LIVEDROP_CMD"
elif [[ -e node_modules/tsx ]]; then
  livedrop=(node --import tsx src/main.ts)
else
  livedrop=(node bin/livedrop.js)
fi

say() { printf '\033[1m[local-cluster]\033[0m %s\n' "$*"; }
fail() { say "$*" >&2; exit 1; }

# --- engines -------------------------------------------------------------------------------------

# host:port of a URL (the first node of a list), with the engine's default port.
address_of() {
  local rest="${1#*://}"
  rest="${rest##*@}"
  rest="${rest%%/*}"
  rest="${rest%%\?*}"
  rest="${rest%%,*}"
  [[ "$rest" == *:* ]] || rest="$rest:$2"
  printf '%s' "$rest"
}
reachable() {
  local address host port
  address="$(address_of "$1" "$2")"
  host="${address%:*}"
  port="${address##*:}"
  timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}
missing=()
reachable "$DATABASE_URL" 5432 || missing+=("PostgreSQL at $(address_of "$DATABASE_URL" 5432) (apt-get install postgresql)")
reachable "$REDIS_URL" 6379 || missing+=("Redis at $(address_of "$REDIS_URL" 6379) (apt-get install redis-server)")
reachable "$NATS_URL" 4222 || missing+=("NATS at $(address_of "$NATS_URL" 4222) (nats-server -js)")
if ((${#missing[@]} > 0)); then
  for engine in "${missing[@]}"; do say "not reachable: $engine" >&2; done
  fail "start the engines (or point DATABASE_URL / REDIS_URL / NATS_URL at them) and run this again"
fi

for port in "$API_PORT" "$REALTIME_1_PORT" "$REALTIME_2_PORT" "$WORKER_PORT"; do
  if reachable "tcp://127.0.0.1:$port" "$port"; then fail "port $port is in use; set the *_PORT variables"; fi
done

# --- HAProxy -------------------------------------------------------------------------------------

haproxy_bin="${HAPROXY:-$(command -v haproxy || true)}"
if [[ -z "$haproxy_bin" && -x /usr/sbin/haproxy ]]; then haproxy_bin=/usr/sbin/haproxy; fi
if [[ "$haproxy_bin" == off ]]; then haproxy_bin=""; fi
if [[ -z "$haproxy_bin" && "$install" == 1 && "${HAPROXY:-}" != off ]]; then
  say "installing HAProxy (apt-get install haproxy)"
  sudo_cmd=()
  if [[ "$(id -u)" != 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get install -y haproxy || { "${sudo_cmd[@]}" apt-get update && "${sudo_cmd[@]}" apt-get install -y haproxy; }
  haproxy_bin="$(command -v haproxy || echo /usr/sbin/haproxy)"
fi
if [[ -n "$haproxy_bin" ]]; then
  if reachable "tcp://$LB_HOST:$LB_PORT" "$LB_PORT"; then fail "port $LB_PORT is in use; set LB_PORT"; fi
  # Behind the proxy the processes listen on loopback only and trust its X-Forwarded-For.
  export TRUST_PROXY=on
fi
export HOST=127.0.0.1

# --- processes -----------------------------------------------------------------------------------

mkdir -p "$LOGS"
names=()
pids=()
stopping=0
stop_all() {
  ((stopping)) && return
  stopping=1
  trap - INT TERM
  say "stopping ${names[*]:-nothing}"
  local i
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  # The servers drain (close sockets, finish requests, stop the relay); give them 15 s.
  for _ in $(seq 150); do
    local alive=0
    for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      say "${names[$i]} did not stop in time; killing it"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
  say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# start <name> <log file> <command...>: runs it in the background, remembered for stop_all.
start() {
  local name="$1" log="$2"
  shift 2
  "$@" >"$log" 2>&1 &
  names+=("$name")
  pids+=("$!")
}

wait_ready() {
  local name="$1" url="$2" pid="$3"
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      fail "$name exited during start; its log is $LOGS/$name.log"
    fi
    if curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "$name is not ready at $url after 60 s; see $LOGS/$name.log"
}

# Create the database when it is missing; the processes migrate it themselves.
node --input-type=module -e '
import pg from "pg"
const url = new URL(process.env.DATABASE_URL)
const name = decodeURIComponent(url.pathname.slice(1)) || "postgres"
url.pathname = "/postgres"
const client = new pg.Client({ connectionString: url.toString() })
await client.connect()
try {
  const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
  if (found.rowCount === 0) {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
    console.log(`[local-cluster] created database ${name}`)
  }
} finally {
  await client.end()
}'

# Migrations and the shared secrets first, once, so the four processes start from the same state.
"${livedrop[@]}" migrate >"$LOGS/migrate.log" 2>&1 || {
  tail -n 30 "$LOGS/migrate.log" >&2
  fail "migration failed; see $LOGS/migrate.log"
}

say "starting the processes (logs in $LOGS)"
for spec in "realtime-1 realtime $REALTIME_1_PORT" "realtime-2 realtime $REALTIME_2_PORT" \
  "api api $API_PORT" "worker worker $WORKER_PORT"; do
  read -r name role port <<<"$spec"
  start "$name" "$LOGS/$name.log" env PORT="$port" "${livedrop[@]}" serve --role "$role"
done
for i in "${!pids[@]}"; do
  case "${names[$i]}" in
    realtime-1) port="$REALTIME_1_PORT" ;;
    realtime-2) port="$REALTIME_2_PORT" ;;
    api) port="$API_PORT" ;;
    worker) port="$WORKER_PORT" ;;
  esac
  wait_ready "${names[$i]}" "http://127.0.0.1:$port" "${pids[$i]}"
  say "${names[$i]} ready on http://127.0.0.1:$port"
done

if [[ -n "$haproxy_bin" ]]; then
  export LB_BIND="$LB_HOST:$LB_PORT"
  export API_ADDR="127.0.0.1:$API_PORT"
  export REALTIME_1_ADDR="127.0.0.1:$REALTIME_1_PORT"
  export REALTIME_2_ADDR="127.0.0.1:$REALTIME_2_PORT"
  "$haproxy_bin" -q -c -f deploy/haproxy.cfg || fail "deploy/haproxy.cfg does not check"
  # -db: stay in the foreground (no daemon), so it is ours to stop.
  start haproxy "$LOGS/haproxy.log" "$haproxy_bin" -db -f deploy/haproxy.cfg
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://$LB_HOST:$LB_PORT/readyz" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || fail "haproxy exited; see $LOGS/haproxy.log"
    sleep 0.1
  done
  base="http://$LB_HOST:$LB_PORT"
  ws="ws://$LB_HOST:$LB_PORT/ws"
  say "HAProxy on $base: /ws* -> realtime-1, realtime-2; everything else -> api"
else
  base="http://127.0.0.1:$API_PORT"
  ws="ws://127.0.0.1:$REALTIME_1_PORT/ws and ws://127.0.0.1:$REALTIME_2_PORT/ws"
  say "without HAProxy there is no single entry point: the API and the gateways answer on their own ports"
  say "  to put HAProxy in front: sudo apt-get install haproxy   (or run this script with --install)"
fi

say "LiveDrop is up: $base/docs (API), $ws (WebSocket), worker on http://127.0.0.1:$WORKER_PORT/metrics"
say "Ctrl-C stops everything"

# Wait until a process exits or Ctrl-C. From a terminal, Ctrl-C reaches every process of the group,
# and each drains and exits by itself; the EXIT trap stops whatever is left.
set +e
wait -n "${pids[@]}"
status=$?
((stopping)) && exit 130
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null && continue
  if ((status == 0)); then
    say "${names[$i]} stopped"
  else
    say "${names[$i]} exited with status $status; last lines of $LOGS/${names[$i]}.log:" >&2
    tail -n 20 "$LOGS/${names[$i]}.log" >&2
  fi
done
exit "$status"

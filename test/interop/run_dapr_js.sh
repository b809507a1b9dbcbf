#!/usr/bin/env bash
# shellcheck disable=SC2317  # stop, cleanup and port_open run from traps and wait_for
# Interop test driver: the official Dapr JS SDK against a real plughost with the C++ sample
# component on a Unix socket.
#
#   run_dapr_js.sh PLUGHOST_BINARY SAMPLE_COMPONENT_BINARY TEST_FILE...
#
# Starts the sample component in a fresh socket folder and the host on a free port with the
# config written below (a built-in and a pluggable instance of every building block), with
# --app-address on a second free port where a test's DaprServer listens. Then runs the given
# test files (in test/interop/dapr-js) with `node --test` and exits with node's status. Both
# processes are stopped on any exit.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 PLUGHOST_BINARY SAMPLE_COMPONENT_BINARY TEST_FILE..." >&2
  exit 2
fi
plughost=$1
sample=$2
shift 2
test_files=("$@")
here=$(cd "$(dirname "$0")" && pwd)
js_dir="$here/dapr-js"

for bin in "$plughost" "$sample"; do
  [ -x "$bin" ] || { echo "run_dapr_js: not an executable: $bin" >&2; exit 2; }
done
command -v node >/dev/null || { echo "run_dapr_js: node is not installed" >&2; exit 2; }
command -v npm >/dev/null || { echo "run_dapr_js: npm is not installed" >&2; exit 2; }

# npm records what it installed in node_modules/.package-lock.json; reinstall when that is
# missing or older than the committed lockfile.
if [ ! -f "$js_dir/node_modules/.package-lock.json" ] ||
   [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]; then
  echo "run_dapr_js: installing the Dapr JS SDK (npm ci)"
  (cd "$js_dir" && timeout 240 npm ci --no-audit --no-fund)
fi

# Unix socket paths are limited to ~107 bytes: keep the folder short.
work=$(mktemp -d /tmp/phjs.XXXX)
sample_pid=""
host_pid=""
status=1

stop() {  # stop PID: SIGTERM, then SIGKILL after 5 s.
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop "$host_pid"
  stop "$sample_pid"
  if [ "$status" -ne 0 ]; then
    echo "----- plughost log -----" >&2
    cat "$work/plughost.log" >&2 2>/dev/null || true
    echo "----- sample component log -----" >&2
    cat "$work/sample.log" >&2 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "run_dapr_js: $*" >&2
  exit 1
}

# wait_for SECONDS DESCRIPTION PID COMMAND...: polls COMMAND every 0.1 s while PID lives.
wait_for() {
  local seconds=$1 what=$2 pid=$3
  shift 3
  local tries=$((seconds * 10))
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || fail "exited while waiting for $what"
    sleep 0.1
  done
  fail "timed out after ${seconds}s waiting for $what"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The socket folder holds sockets only; logs stay beside it.
sockets="$work/sockets"
mkdir -m 0750 "$sockets"
socket="$sockets/cpp-sample.sock"
"$sample" --socket "$socket" >"$work/sample.log" 2>&1 &
sample_pid=$!
wait_for 20 "the sample component's socket $socket" "$sample_pid" test -S "$socket"

# What the test files expect of the host (each file's header says which parts it uses).
files_root="$work/files"
mkdir "$files_root"
config_file="$work/configstore.json"
echo '{"color": "blue", "size": "10"}' >"$config_file"
cat >"$work/plughost.json" <<JSON
{
  "app_id": "interop-js",
  "components": [
    {"name": "statestore", "type": "state.in-memory"},
    {"name": "pubsub", "type": "pubsub.in-memory"},
    {"name": "lockstore", "type": "lock.in-memory"},
    {"name": "files", "type": "bindings.localstorage", "metadata": {"rootPath": "$files_root"}},
    {"name": "cpp-sample", "type": "bindings.cpp-sample"},
    {"name": "sample-out", "type": "bindings.cpp-sample", "metadata": {"direction": "output"}},
    {"name": "sample-in", "type": "bindings.cpp-sample", "metadata": {"direction": "input"}},
    {"name": "secretstore", "type": "secretstores.local.env",
     "metadata": {"prefix": "PLUGHOST_SECRET_"}},
    {"name": "sample-secrets", "type": "secretstores.cpp-sample",
     "metadata": {"secret.db-password": "s3cret", "secret.api-key": "sample-key"}},
    {"name": "configstore", "type": "configuration.in-memory",
     "metadata": {"file": "$config_file"}},
    {"name": "sample-config", "type": "configuration.cpp-sample",
     "metadata": {"config.color": "blue", "config.size": "10"}}
  ],
  "pubsub_inbound_policies": {
    "pubsub": {"retry": {"policy": "constant", "duration": "10ms", "maxRetries": 2}}
  }
}
JSON

port=$(free_port)
app_port=$(free_port)
http_port=$(free_port)
[ -n "$port" ] && [ -n "$app_port" ] && [ -n "$http_port" ] && [ "$port" != "$app_port" ] &&
  [ "$http_port" != "$port" ] && [ "$http_port" != "$app_port" ] ||
  fail "could not pick three free ports"
# The secrets test reads these through the prefixed local.env store; the last must stay hidden.
PLUGHOST_SECRET_DB_PASSWORD=hunter2 PLUGHOST_SECRET_API_KEY=k-123 PH_JS_NOT_A_SECRET=hidden \
  "$plughost" --config "$work/plughost.json" --sockets-dir "$sockets" \
  --grpc-address "127.0.0.1:$port" --app-address "127.0.0.1:$app_port" --log-level debug \
  --http-address "127.0.0.1:$http_port" \
  >"$work/plughost.log" 2>&1 &
host_pid=$!
wait_for 60 "plughost to listen on 127.0.0.1:$port" "$host_pid" port_open "$port"
wait_for 60 "plughost's HTTP API on 127.0.0.1:$http_port" "$host_pid" port_open "$http_port"
echo "run_dapr_js: plughost pid $host_pid on 127.0.0.1:$port (app on $app_port)," \
  "sample component pid $sample_pid"

set +e
(cd "$js_dir" &&
  PLUGHOST_PORT=$port APP_PORT=$app_port DAPR_HTTP_PORT=$http_port FILES_ROOT=$files_root CONFIG_FILE=$config_file \
    STORES=statestore,cpp-sample PUBSUBS=pubsub,cpp-sample LOCK_STORES=lockstore,cpp-sample \
    RETRY_POLICY=pubsub=2 \
    timeout 240 node --test --test-reporter=spec "${test_files[@]}")
status=$?
set -e
exit "$status"

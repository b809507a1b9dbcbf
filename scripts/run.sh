#!/usr/bin/env bash
# `make run`: start the C++ sample component in sockets/, then the host on its embedded
# defaults, in the foreground. Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
sockets="$root/sockets"
mkdir -p "$sockets"
chmod 0750 "$sockets"

sample_pid=""
cleanup() {
  [ -n "$sample_pid" ] && kill "$sample_pid" 2>/dev/null && wait "$sample_pid" 2>/dev/null
  true
}
trap cleanup EXIT INT TERM

DAPR_COMPONENTS_SOCKETS_FOLDER="$sockets" "$root/$build/examples/components/cpp/plughost-sample-component" --name cpp-sample &
sample_pid=$!
for _ in $(seq 1 50); do [ -S "$sockets/cpp-sample.sock" ] && break; sleep 0.1; done

address=${PLUGHOST_GRPC_ADDRESS:-127.0.0.1:50001}
cat <<INFO

plughost: starting on $address with the sample component from $sockets
  try (Dapr JS SDK):  const c = new DaprClient({daprHost: "127.0.0.1", daprPort: "50001",
                        communicationProtocol: CommunicationProtocolEnum.GRPC});
                      await c.state.save("statestore", [{key: "k", value: "v"}]);
  stores:             statestore (built-in state.in-memory), cpp-sample (pluggable, socket)
  list components:    $build/host/app/plughost components --sockets-dir $sockets
  stop:               Ctrl-C

INFO
"$root/$build/host/app/plughost" --sockets-dir "$sockets" --grpc-address "$address" "${@:2}"

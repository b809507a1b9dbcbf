#!/usr/bin/env bash
# `make run`: the host in the foreground on the embedded defaults' built-in components, with the
# C++ sample component as a process in its care (launched, restarted, logged and stopped by the
# host: see "Component processes" in README.md). Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
sockets="$root/sockets"
mkdir -p "$sockets"
chmod 0750 "$sockets"

# The built-in components are those of the embedded defaults (EmbeddedDefaults() in
# host/config/host_config.cc); a config file replaces them, so they are listed again here.
config="$root/$build/run-config.json"
cat > "$config" <<JSON
{
  "components": [
    {"name": "statestore", "type": "state.in-memory"},
    {"name": "helloworld", "type": "hello.helloworld"},
    {"name": "lockstore", "type": "lock.in-memory"},
    {"name": "sequencer", "type": "sequencer.in-memory"},
    {"name": "secretstore", "type": "secretstores.local.env",
     "metadata": {"prefix": "PLUGHOST_SECRET_"}},
    {"name": "configstore", "type": "configuration.in-memory"},
    {"name": "pubsub", "type": "pubsub.in-memory"}
  ],
  "processes": [
    {"name": "cpp-sample",
     "command": ["$root/$build/examples/components/cpp/plughost-sample-component",
                 "--socket", "{socket}"]}
  ]
}
JSON

address=${PLUGHOST_GRPC_ADDRESS:-127.0.0.1:50001}
cat <<INFO

plughost: starting on $address; it launches the sample component into $sockets
  try (Dapr JS SDK):  const c = new DaprClient({daprHost: "127.0.0.1", daprPort: "50001",
                        communicationProtocol: CommunicationProtocolEnum.GRPC});
                      await c.state.save("statestore", [{key: "k", value: "v"}]);
  stores:             statestore (built-in state.in-memory), cpp-sample (pluggable, launched)
  config:             $config
  list components:    $build/host/app/plughost components --sockets-dir $sockets
  stop:               Ctrl-C

INFO
exec "$root/$build/host/app/plughost" --config "$config" --sockets-dir "$sockets" \
  --grpc-address "$address" "${@:2}"

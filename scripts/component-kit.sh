#!/usr/bin/env bash
# Writes what a component author needs into a folder of their own, outside this repository:
#
#   scripts/component-kit.sh python DIR   generated Python modules (messages and gRPC stubs for
#                                          every kind: Dapr's, plughost's lock / sequencer /
#                                          configuration, Layotto's hello) in DIR/stubs, the
#                                          helper package DIR/plughost_component, and a state
#                                          store to start from, DIR/state_store.py
#   scripts/component-kit.sh node DIR     the .proto files in DIR/protos, the helpers in DIR/lib,
#                                          package.json + package-lock.json (run `npm ci` in
#                                          DIR), and DIR/state-store.js to start from
#
# Needs Debian's protobuf-compiler, protobuf-compiler-grpc and grpc-proto for Python; nothing
# is built from the repository. Existing files in DIR are left alone unless they are the kit's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 python|node DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
lang=$1 dest=$2
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

case $lang in
  python)
    for tool in protoc grpc_python_plugin; do
      command -v "$tool" >/dev/null ||
        { echo "component-kit: $tool not found (apt-get install protobuf-compiler protobuf-compiler-grpc)" >&2; exit 1; }
    done
    [ -d /usr/share/grpc-proto/grpc/reflection ] ||
      { echo "component-kit: /usr/share/grpc-proto missing (apt-get install grpc-proto)" >&2; exit 1; }
    "$root/examples/components/python/gen_stubs.sh" protoc "$(command -v grpc_python_plugin)" \
      "$root/protos" /usr/share/grpc-proto "$dest/stubs" "$dest/stubs/.generated"
    rm -rf "$dest/plughost_component"
    cp -r "$root/examples/components/python/plughost_component" "$dest/"
    find "$dest/plughost_component" -name __pycache__ -prune -exec rm -rf {} +
    [ -e "$dest/state_store.py" ] || cp "$root/examples/components/python/state_store.py" "$dest/"
    echo "component-kit: Python kit in $dest (stubs/, plughost_component/, state_store.py)"
    echo "  run: /usr/bin/python3 $dest/state_store.py --socket /tmp/my-sockets/my-store.sock"
    ;;
  node)
    rm -rf "$dest/protos" "$dest/lib"
    cp -r "$root/protos" "$dest/protos"
    cp -r "$root/examples/components/node/lib" "$dest/lib"
    for file in package.json package-lock.json; do
      [ -e "$dest/$file" ] || cp "$root/examples/components/node/$file" "$dest/"
    done
    [ -e "$dest/state-store.js" ] || cp "$root/examples/components/node/state-store.js" "$dest/"
    echo "component-kit: Node kit in $dest (protos/, lib/, package.json, state-store.js)"
    echo "  run: cd $dest && npm ci && node state-store.js --socket /tmp/my-sockets/my-store.sock"
    ;;
  *) usage ;;
esac

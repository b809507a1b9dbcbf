#!/usr/bin/env bash
# Builds plughost-gohop, the grpc-go reference hop of the benchmark (bench/gohop/main.go), into
# OUT_DIR, in GOPATH mode against Debian's Go packages only:
#   golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go
#   protoc-gen-go-grpc
# Exits 3 with one line when a tool is missing, so `make bench` can skip the row; nothing else
# in the build depends on Go.
#
# usage: build.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null || { echo "gohop: skipped: $tool not installed"; exit 3; }
done
[ -d /usr/share/gocode/src/google.golang.org/grpc ] ||
  { echo "gohop: skipped: golang-google-grpc-dev not installed"; exit 3; }

gopath="$out/gopath"
gen="plughost.local/gen"
rm -rf "$gopath" && mkdir -p "$gopath/src/$gen" "$gopath/src/plughost.local/gohop"
protos=(dapr/proto/common/v1/common.proto dapr/proto/components/v1/common.proto
        dapr/proto/components/v1/state.proto dapr/proto/runtime/v1/dapr.proto
        dapr/proto/runtime/v1/appcallback.proto)
# Our protos carry no go_package: map each to an import path under the scratch GOPATH. The
# Go packages are named after the proto package (runtimev1, componentsv1, commonv1).
maps=()
for proto in "${protos[@]}" dapr/proto/components/v1/pubsub.proto dapr/proto/components/v1/bindings.proto \
             dapr/proto/components/v1/secretstore.proto; do
  dir=$(dirname "$proto")
  name=$(echo "$dir" | awk -F/ '{print $(NF-1) $NF}')
  maps+=("M$proto=$gen/$dir;$name")
done
opts=$(IFS=,; echo "${maps[*]}")
(cd "$root/protos" && protoc -I . -I /usr/include \
   --go_out="$gopath/src" --go_opt="$opts" \
   --go-grpc_out="$gopath/src" --go-grpc_opt="$opts" \
   "${protos[@]}")
cp "$here/main.go" "$gopath/src/plughost.local/gohop/"
(cd "$gopath/src/plughost.local/gohop" &&
   GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS=-mod=mod GOCACHE="$out/gocache" \
   go build -o "$out/plughost-gohop" .)
echo "gohop: built $out/plughost-gohop"

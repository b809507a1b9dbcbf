#!/bin/sh
# Generates the Python modules the sample components import (messages and gRPC stubs) into
# OUT_DIR, then touches STAMP, the one output meson tracks (a custom_target cannot list the
# nested package directories protoc writes).
#
# The reflection protos are copied under `reflection_protos/` first: Python's `grpc` package
# is grpcio itself, so modules generated at `grpc/reflection/...` could never be imported.
# Only the .proto file's path changes; package, service and message names stay those of
# grpc.reflection.v1alpha and grpc.reflection.v1, so the wire protocol is the same.
#
# usage: gen_stubs.sh PROTOC GRPC_PYTHON_PLUGIN SRC_PROTOS GRPC_PROTOS OUT_DIR STAMP
set -eu
protoc=$1 plugin=$2 src_protos=$3 grpc_protos=$4 out=$5 stamp=$6
# Paths may be relative to the build directory; the protoc run below changes directory.
case $out in /*) ;; *) out="$PWD/$out" ;; esac
case $stamp in /*) ;; *) stamp="$PWD/$stamp" ;; esac

rm -rf "$out"
mkdir -p "$out/.protos/reflection_protos/v1alpha" "$out/.protos/reflection_protos/v1"
cp "$grpc_protos/grpc/reflection/v1alpha/reflection.proto" "$out/.protos/reflection_protos/v1alpha/"
cp "$grpc_protos/grpc/reflection/v1/reflection.proto" "$out/.protos/reflection_protos/v1/"

cd "$src_protos"
"$protoc" -I "$src_protos" -I "$out/.protos" -I /usr/include \
  --python_out="$out" --grpc_python_out="$out" --plugin=protoc-gen-grpc_python="$plugin" \
  google/rpc/status.proto google/rpc/error_details.proto \
  dapr/proto/components/v1/*.proto \
  plughost/components/v1/*.proto \
  spec/proto/pluggable/v1/*.proto \
  reflection_protos/v1alpha/reflection.proto reflection_protos/v1/reflection.proto
rm -rf "$out/.protos"
touch "$stamp"

#!/bin/sh
# Runs protoc for one .proto file. Generated files keep their package path under the build
# directory (so their #include lines resolve) and are also copied under flat names, which are
# the outputs meson tracks (meson outputs cannot contain '/').
# usage: gen_proto.sh PROTOC GRPC_PLUGIN ROOT REL GEN_DIR OUT_DIR STEM SRC_PROTOS GRPC_PROTOS
set -eu
protoc=$1 plugin=$2 root=$3 rel=$4 gen=$5 out=$6 stem=$7 src_protos=$8 grpc_protos=$9
"$protoc" --proto_path="$src_protos" --proto_path="$grpc_protos" --proto_path=/usr/include \
  --cpp_out="$gen" --grpc_out="$gen" --plugin=protoc-gen-grpc="$plugin" "$root/$rel"
base="${rel%.proto}"
for ext in pb.cc pb.h grpc.pb.cc grpc.pb.h; do
  cp "$gen/$base.$ext" "$out/$stem.$ext"
done

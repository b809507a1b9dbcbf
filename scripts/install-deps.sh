#!/usr/bin/env bash
# Installs the Debian 12 packages plughost needs to build, test and run, skipping what is present.
set -euo pipefail

packages=(
  meson ninja-build pkg-config g++
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libboost-dev libfmt-dev nlohmann-json3-dev catch2
  python3-grpcio python3-protobuf python3-redis redis-server
  clang libclang-rt-14-dev  # the fuzz targets: libFuzzer, ASan and UBSan runtimes
  libyaml-cpp-dev libcli11-dev  # Dapr resource files, daprd's flags
  libhiredis-dev redis-tools mosquitto mosquitto-clients libmosquitto-dev  # Redis and MQTT components
  clang-format clang-tidy ccache  # make format-check / lint; ccache keeps rebuilds short
  libnghttp2-dev  # only the bench: the nghttp2 component-hop experiment (--serve-proxy-h2)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js (with npm) drives the Dapr SDK interop tests and the Node sample components.
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

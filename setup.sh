#!/usr/bin/env bash
# One-step set-up on a fresh Debian 12 machine: install the build dependencies
# (Debian packages only), configure and build capvm with CMake + Ninja, and run
# the example guest through `capvm run`. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential cmake ninja-build ccache pkg-config
  clang-14 lld-14
  libasmjit-dev libzydis-dev libyaml-cpp-dev catch2 libbenchmark-dev libunicorn-dev
  llvm-16-dev
  qemu-user hyperfine wrk curl python3
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"

echo "--- examples/hello under capvm (x86_64 guest) ---"
"$BUILD_DIR/capvm" run "$BUILD_DIR/examples/hello.x86_64" < examples/hello/hello.yaml

#!/usr/bin/env bash
# Configures and builds slotsim into ./build (Release with debug info;
# slotsim's own CHECKs stay on in every build type).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SLOTSIM_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=${SLOTSIM_BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build build -j "$jobs"

#!/usr/bin/env bash
# Installs every Debian package slotsim needs to build, and with --tests
# what its tests need too (Chromium and Node.js for the viewer's browser
# tests, and their npm packages; Redis's own tools and python3-redis for
# the real-mode interop test and the benchmark against redis-server), and
# with --cluster Slurm and munge for the opt-in `cluster` test (also
# installs what --tests does). Idempotent: packages already installed
# are left alone, and apt-get runs only when something is missing. Needs
# root (or sudo) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
with_cluster=0
case "${1:-}" in
  --tests) with_tests=1 ;;
  --cluster) with_tests=1; with_cluster=1 ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--tests | --cluster]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake pkg-config git
  libboost-fiber-dev libboost-context-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libsqlite3-dev sqlite3 jq python3 python3-yaml
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
)
if [ "$with_tests" = 1 ]; then
  packages+=(chromium redis-server redis-tools python3-redis)
  # Node.js may come from elsewhere (NodeSource bundles npm); only a
  # machine without npm gets Debian's.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi
[ "$with_cluster" = 1 ] && packages+=(slurm-wlm munge)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# The viewer's browser tests drive Chromium with playwright-core, pinned by
# tests/viewer/package-lock.json (no browser download).
npm_packages() {
  if [ "$with_tests" = 1 ] && [ ! -f tests/viewer/node_modules/playwright-core/package.json ]; then
    echo "setup: npm ci in tests/viewer"
    npm ci --prefix tests/viewer --no-audit --no-fund --loglevel=error
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  npm_packages
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 2
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_packages

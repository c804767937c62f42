#!/usr/bin/env bash
# Determinism lint (TigerBeetle's tidy, for C++): code under engine/ and
# sim/ must reach clocks, randomness, threads, sockets, files, sleeps and
# the environment only through the Env seam. A line may opt out with a
# trailing "// lint:allow <reason>".
#
#   lint_determinism.sh DIR...                    exit 0 if clean, 1 if not
#   lint_determinism.sh --expect-violations DIR   exit 0 only if violations
#                                                  are found (proves the
#                                                  lint can fail)
set -uo pipefail

expect=0
if [ "${1:-}" = "--expect-violations" ]; then expect=1; shift; fi
if [ $# -eq 0 ]; then echo "usage: $0 [--expect-violations] DIR..." >&2; exit 2; fi

rules=(
  'wall clock|(system_clock|steady_clock|high_resolution_clock)::now|\btime\(|gettimeofday|clock_gettime|\blocaltime|\bgmtime'
  'global randomness|\bs?rand\(|random_device|arc4random|getrandom'
  'threads|std::(j?thread|async)\b|pthread_create'
  'sockets|<sys/socket\.h>|<netinet/|<arpa/inet\.h>|\bsocket\(|\baccept4?\(|\bconnect\(|\bbind\(|\blisten\('
  'files|<fstream>|std::[io]?fstream|\bfopen\(|<fcntl\.h>|\bfsync\(|std::rename|\bunlink\(|<filesystem>|std::filesystem'
  'sleeping|sleep_for|sleep_until|\busleep\(|nanosleep'
  'environment|getenv'
)

found=0
while IFS= read -r -d '' f; do
  for rule in "${rules[@]}"; do
    name=${rule%%|*}
    pattern=${rule#*|}
    while IFS= read -r hit; do
      [ -z "$hit" ] && continue
      case "$hit" in *"lint:allow"*) continue ;; esac
      echo "$f:${hit%%:*}: $name: ${hit#*:}"
      found=$((found + 1))
    done < <(grep -nE "$pattern" "$f" | grep -vE '^[0-9]+:\s*//')
  done
done < <(find "$@" -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) -print0 | sort -z)

if [ $expect -eq 1 ]; then
  if [ $found -gt 0 ]; then echo "lint found $found planted violation(s), as it should"; exit 0; fi
  echo "lint found nothing in the planted fixtures: the lint is broken"; exit 1
fi
if [ $found -gt 0 ]; then
  echo "determinism lint: $found violation(s); route them through Env (engine/env.h)"
  exit 1
fi
echo "determinism lint: clean"

#!/usr/bin/env bash
# The build stamp: one hash of everything tsc compiles from (sources, tsconfig, lockfile),
# kept in dist/ after a build, so a start with an up-to-date build skips tsc (issue #15:
# every start rebuilt, 39-119 s to ready).
#   build-stamp.sh write   record the current sources' hash (after a build)
#   build-stamp.sh check   exit 0 when dist/ was built from exactly these sources
set -euo pipefail
cd "$(dirname "$0")/.."
STAMP=dist/.build-stamp

current() {
  local roots=() r
  for r in main.ts lib features test bench console; do [ -e "$r" ] && roots+=("$r"); done
  {
    find "${roots[@]}" -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.json' -o -name '*.css' -o -name '*.html' \) -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    sha256sum tsconfig.json package.json package-lock.json
  } | sha256sum | cut -d' ' -f1
}

case "${1:-}" in
  write) mkdir -p dist && current > "$STAMP" ;;
  check) [ -f dist/main.js ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(current)" ] ;;
  *) echo "usage: $0 write|check" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Starts the feature server on a fresh machine: install what is missing, build if the
# sources changed, run. Configuration comes from the environment (README "Configuration").
#
# This script stays as the supervisor of `node dist/main.js` (issue #15): SIGTERM or
# SIGINT to its PID (or to npm's, which passes them on) reaches the server, which drains
# and stops its children, and the script exits when the server has; a server that
# crashes is started again with a back-off (1 s doubling to 30 s, reset after a minute
# of life). Exit code 2 from the server (configuration error, DATA_DIR owned by another
# server) is not retried.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

child=0
stopping=0
pause=0
forward() {
  stopping=1
  if [ "$child" -ne 0 ]; then kill -"$1" "$child" 2>/dev/null || true; fi
  if [ "$pause" -ne 0 ]; then kill "$pause" 2>/dev/null || true; fi
}
trap 'forward TERM' TERM
# a background job of a non-interactive shell starts with SIGINT ignored, so the server
# is sent SIGTERM for it (the same drain)
trap 'forward TERM' INT

echo "feature-server: supervisor pid $$ (SIGTERM or SIGINT to it drains the server and stops everything)" >&2
delay=1
while :; do
  started=$SECONDS
  node dist/main.js &
  child=$!
  rc=0
  # a trapped signal ends `wait` early (status > 128) while the server still drains: wait again
  while kill -0 "$child" 2>/dev/null; do
    wait "$child" && rc=0 || rc=$?
  done
  # the status of a child that ended while the trap ran is still held by the shell
  wait "$child" 2>/dev/null && rc2=0 || rc2=$?
  [ "$rc2" -ne 127 ] && rc=$rc2
  child=0
  if [ "$stopping" -eq 1 ] || [ "$rc" -eq 0 ]; then exit "$rc"; fi
  if [ "$rc" -eq 2 ]; then
    echo "feature-server: the server cannot start (exit 2); not restarting" >&2
    exit 2
  fi
  if [ $((SECONDS - started)) -ge 60 ]; then delay=1; fi
  echo "feature-server: the server exited (status $rc); restarting in ${delay}s" >&2
  sleep "$delay" &
  pause=$!
  wait "$pause" 2>/dev/null || true
  pause=0
  if [ "$stopping" -eq 1 ]; then exit 0; fi
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
done

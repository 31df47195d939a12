#!/usr/bin/env bash
# Installs what the project needs and is missing: Debian packages (as root) and npm
# packages, then builds. Safe to run again: it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v rtpengine >/dev/null 2>&1 || need+=(rtpengine-daemon)
# the edge proxy's tests (deploy/edge); Debian puts it in /usr/sbin, off a user's PATH
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || need+=(kamailio)
# a real softphone for the tests (test/integration/softphone); -core: no GUI, no audio stack
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
# the softphone tests build a small recording shim for baresip 1.0 (test/support/baresip.ts)
{ command -v cc >/dev/null 2>&1 && [ -e /usr/include/dlfcn.h ]; } || need+=(gcc libc6-dev)
# the operator console's browser test (test/integration/console) drives Debian's chromium through puppeteer-core
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# the embedded engine runs on jemalloc when present (lib/runtime/engine-launcher.ts): its memory goes back after a flood
[ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] || [ -e /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 ] || need+=(libjemalloc2)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "installing ${need[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
  # the package enables a system kamailio on port 5060, the server's own SIP port; the
  # tests run their own on free ports
  if [[ " ${need[*]} " == *" kamailio "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now kamailio.service >/dev/null 2>&1 || true
  fi
fi

# A node_modules that is a symlink belongs to another checkout (a git worktree sharing
# one install): `npm ci` would empty the folder it points to under everyone using it, so
# it is never run through a link; refresh the packages in the checkout that owns them.
if [ -L node_modules ]; then
  echo "node_modules is a symlink ($(readlink node_modules)): not installing npm packages through it" >&2
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages ..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# a build of exactly these sources is kept (scripts/build-stamp.sh): no tsc on every start
if bash scripts/build-stamp.sh check 2>/dev/null; then
  echo "build is up to date" >&2
else
  npm run --silent build >&2
fi

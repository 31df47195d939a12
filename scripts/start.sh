#!/usr/bin/env bash
# Starts the feature server on a fresh machine: install what is missing, build, run.
# Configuration comes from the environment (README "Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ -z "${API_TOKEN:-}" ]; then
  API_TOKEN=$(node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))')
  export API_TOKEN
  echo "API_TOKEN was not set; generated one for this run: $API_TOKEN" >&2
fi
exec node dist/main.js

#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what is missing, build, lint, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent lint
exec npx mocha --config .mocharc.json "$@"

#!/usr/bin/env bash
# The integration suites that run the whole feature server, on a real drachtio-server
# instead of the embedded engine (issue #16). Not part of `npm test`: drachtio-server is in
# no package registry, so the user builds it from its public source and names the binary:
#   DRACHTIO_SERVER_BIN=/path/to/drachtio npm run test:drachtio [-- <compiled test files>]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DRACHTIO_SERVER_BIN:-${DRACHTIO_BIN:-}}
if [[ -z "$bin" ]]; then
  echo "test:drachtio skipped: DRACHTIO_SERVER_BIN is not set (the path of a drachtio-server binary built from github.com/drachtio/drachtio-server)"
  exit 0
fi
if [[ ! -x "$bin" ]]; then
  echo "test:drachtio: DRACHTIO_SERVER_BIN=$bin is not an executable file" >&2
  exit 1
fi
npm run --silent build
suites=(
  dist/test/integration/core/*.test.js
  dist/test/integration/auth/auth.test.js
  dist/test/integration/moh/moh.test.js
  dist/test/integration/park/*.test.js
  dist/test/integration/pickup/*.test.js
  dist/test/integration/conference/conference.test.js
  dist/test/integration/conference/merge-failure.test.js
  dist/test/integration/conference/host-leaves-at-once.test.js
  dist/test/integration/cluster/*.test.js
  dist/test/integration/security/fuzz-regressions.test.js
  dist/test/integration/security/dead-contact-invites.test.js
  dist/test/integration/races/park-pickup-races.test.js
  dist/test/integration/faults/rtpengine-restart.test.js
  dist/test/integration/softphone/*.test.js
  dist/test/integration/transfer/*.test.js
  dist/test/integration/forwarding/forwarding.test.js
  dist/test/integration/findme/findme.test.js
  dist/test/integration/screening/screening.test.js
  dist/test/integration/outbound/outbound.test.js
  dist/test/integration/presence/*.test.js
  dist/test/integration/console/*.test.js
)
(( $# > 0 )) && suites=("$@")
TEST_ENGINE=drachtio DRACHTIO_SERVER_BIN="$bin" exec npx mocha --no-config --timeout 60000 --reporter spec "${suites[@]}"

# The feature server image (deploy/compose and deploy/k8s run it).
#
# It holds the server only: Redis, rtpengine and the SIP engine run beside it (REDIS_URL,
# RTPENGINE_NG, DRACHTIO_HOST; deploy/compose/README.md). Without DRACHTIO_HOST the
# server starts its embedded SIP engine in this container (SIP on SIP_HOST:SIP_PORT);
# SIP_HOST defaults to 127.0.0.1, so on a bridge network set it to the container's own
# address (with host networking, the host's). The server also binds its media sockets
# (echo, music on hold, conference) on SIP_HOST: rtpengine must be able to reach it.
#
#   docker build -t sip-feature-server:0.1.0 .
#
# At the repository root because the build context is the whole source tree
# (package.json, lib/, features/, console/); .dockerignore next to it keeps the rest out.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, TypeScript compiled to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json main.ts ./
COPY bin ./bin
COPY lib ./lib
COPY features ./features
# `npm run build` also builds the operator console (console/, checked against the API's
# schemas, which scripts/console-schemas.ts takes from the route definitions) and records
# its build stamp (scripts/build-stamp.sh)
COPY console ./console
COPY scripts/build-stamp.sh scripts/console-schemas.ts ./scripts/
# the files the compiled code reads at run time (park prompts, ...) go next to it
RUN npm run build \
 && find lib features -type f ! -name '*.ts' ! -name '*.md' -exec cp --parents {} dist/ \;

# ---- runtime: production dependencies and the compiled code, as a non-root user ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin

# the `node` user (uid 1000) of the official Node.js image
USER node

# REST API and /health; SIP only when the embedded engine runs here (no DRACHTIO_HOST)
EXPOSE 3000/tcp 5060/udp 5060/tcp

# GET /health answers 200 when the SIP engine, Redis and rtpengine are all reachable
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const h = process.env.HTTP_HOST; const host = !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h; require('node:http').get({ host, port: process.env.HTTP_PORT || 3000, path: '/health', timeout: 2500 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1));"]

# node itself as the main process: it handles SIGTERM (drain, DRAIN_TIMEOUT); not
# `npm start`, which checks and installs packages and builds before it starts
CMD ["node", "dist/main.js"]

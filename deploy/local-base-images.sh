#!/usr/bin/env bash
# Local stand-ins for the registry images, to VALIDATE the deployment files (the root
# Dockerfile, deploy/rtpengine/Dockerfile, deploy/compose) on a machine that reaches no
# container registry, only Debian's package mirror and the npm registry.
#
#   NOT FOR PRODUCTION. Production builds use the real images named in the files
#   (node:20-bookworm-slim, redis:7.2-alpine, drachtio/drachtio-server); nothing here
#   is pushed or meant to be.
#
# Run as root on a Debian bookworm host with a Docker daemon (debootstrap is installed
# with apt if missing):
#
#   bash deploy/local-base-images.sh
#
# It makes, from Debian packages and this host's own Node.js 20:
#
#   debian:bookworm-slim          debootstrap --variant=minbase bookworm, imported as-is
#                                 (apt sources as in the official image: bookworm,
#                                 bookworm-updates, bookworm-security)
#   node:20-bookworm-slim         FROM that, with this host's `node` binary and npm (and
#                                 corepack) in the official image's layout:
#                                 /usr/local/bin/node, /usr/local/lib/node_modules/npm,
#                                 npm/npx/corepack symlinks on PATH, user and group `node`
#                                 (uid/gid 1000, home /home/node), NODE_VERSION, the
#                                 docker-entrypoint.sh, CMD ["node"]. The npm version is
#                                 the host's, not the one the official image pins.
#   sip-local/redis:7-bookworm    FROM debian:bookworm-slim with apt's redis-server
#                                 (Redis 7.0 in bookworm, not 7.2 and not Alpine), user
#                                 `redis`, WORKDIR /data: a stand-in for REDIS_IMAGE
#
# drachtio/drachtio-server has no Debian package and cannot be made here.
#
# Behind a TLS-intercepting proxy (npm's registry answers with a certificate from a local
# CA), `npm ci` in the build fails with SELF_SIGNED_CERT_IN_CHAIN. Set EXTRA_CA_BUNDLE (it
# defaults to the host's NODE_EXTRA_CA_CERTS, when set) to a PEM file: it is copied into
# the node stand-in and NODE_EXTRA_CA_CERTS points at it, so images built FROM it trust
# that CA too. Another reason these images are for local validation only.
#
# Environment: BASE_DIR (work directory, default /tmp/local-base-images), MIRROR
# (default http://deb.debian.org/debian), NODE_BIN (default: `command -v node`),
# NPM_DIR (default: the npm package next to the node binary's lib/node_modules).
set -euo pipefail

BASE_DIR=${BASE_DIR:-/tmp/local-base-images}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
NODE_BIN=$(readlink -f "${NODE_BIN:-$(command -v node)}")
NODE_PREFIX=$(dirname "$(dirname "$NODE_BIN")")
NPM_DIR=${NPM_DIR:-$NODE_PREFIX/lib/node_modules/npm}
COREPACK_DIR=$NODE_PREFIX/lib/node_modules/corepack
EXTRA_CA_BUNDLE=${EXTRA_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-}}

NODE_VERSION=$("$NODE_BIN" --version)
case "$NODE_VERSION" in
  v20.*) ;;
  *) echo "node at $NODE_BIN is $NODE_VERSION; the Dockerfile wants Node.js 20" >&2; exit 1 ;;
esac
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "no npm at $NPM_DIR (set NPM_DIR)" >&2; exit 1; }

mkdir -p "$BASE_DIR"

# ---- debian:bookworm-slim ----
rootfs=$BASE_DIR/rootfs
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || apt-get install -y debootstrap
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR"
  # the official image's apt sources (deb822) and its "no caches, no recommends" apt config
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$rootfs" -c . \
    | docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - debian:bookworm-slim
  rm -rf "$rootfs"
fi

# ---- node:20-bookworm-slim ----
ctx=$BASE_DIR/node-context
rm -rf "$ctx" && mkdir -p "$ctx/lib"
cp "$NODE_BIN" "$ctx/node"
cp -a "$NPM_DIR" "$ctx/lib/npm"
if [ -d "$COREPACK_DIR" ]; then cp -a "$COREPACK_DIR" "$ctx/lib/corepack"; else mkdir "$ctx/lib/corepack"; fi
ca_lines=''
if [ -n "$EXTRA_CA_BUNDLE" ] && [ -f "$EXTRA_CA_BUNDLE" ]; then
  cp "$EXTRA_CA_BUNDLE" "$ctx/extra-ca.pem"
  ca_lines='COPY extra-ca.pem /usr/local/share/local-validation-ca.pem
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/local-validation-ca.pem'
fi
cat >"$ctx/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# as the official image's: `docker run IMAGE -e ...` runs node with those flags
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
cat >"$ctx/Dockerfile" <<EOF
FROM debian:bookworm-slim
RUN groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=${NODE_VERSION#v}
$ca_lines
COPY node /usr/local/bin/node
COPY lib/ /usr/local/lib/node_modules/
COPY docker-entrypoint.sh /usr/local/bin/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && if [ -f /usr/local/lib/node_modules/corepack/dist/corepack.js ]; then \\
      ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack; fi \\
 && chmod 755 /usr/local/bin/docker-entrypoint.sh \\
 && node --version && npm --version
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
docker build -t node:20-bookworm-slim "$ctx"
rm -rf "$ctx"

# ---- sip-local/redis:7-bookworm (stand-in for REDIS_IMAGE) ----
ctx=$BASE_DIR/redis-context
rm -rf "$ctx" && mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]
EOF
docker build -t sip-local/redis:7-bookworm "$ctx"
rm -rf "$ctx"

docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' \
  | grep -E '^(debian:bookworm-slim|node:20-bookworm-slim|sip-local/redis:7-bookworm)\b'

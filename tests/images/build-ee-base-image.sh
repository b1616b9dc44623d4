#!/usr/bin/env bash
# Build the base image of the test execution environment locally (no registry is reachable).
#
# Debian 13 (trixie) with its python3 (3.13, which ansible-core 2.21 needs: >= 3.12) and pip,
# ca-certificates and nothing else; ansible-builder adds ansible-core, ansible-runner, the
# collections and their Python libraries on top (scripts/build-ee.sh). Bindep is not used: the
# collection has no system packages to declare, and the image has no dnf.
#
# Tagged by a hash of this script; when that tag exists the build is skipped.
# Prints the image reference (NAME:HASH) on stdout; everything else on stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name="${AOP_EE_BASE_IMAGE_NAME:-originpulls/aop-ee-base}"
suite=trixie
packages=python3,python3-pip,ca-certificates
prefix=ee-base
# shellcheck source=tests/images/lib.sh
. "$here/lib.sh"

need_docker

hash=$(sha256sum <"$here/build-ee-base-image.sh" | cut -c1-12)
ref="$name:$hash"
reuse_image "$ref"
need_mmdebstrap

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
say "building $ref with mmdebstrap ($suite)"
mmdebstrap --quiet --variant=apt --include="$packages" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$suite" "$work/rootfs.tar" >&2 || die "mmdebstrap failed"
docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  "$work/rootfs.tar" "$ref" >/dev/null
built "$ref" "$start"

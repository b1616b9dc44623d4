#!/usr/bin/env bash
# Build the execution environment of examples/execution-environment.yml here, with no registry and no
# Galaxy: a locally built Debian 13 base image (tests/images/build-ee-base-image.sh), the collection
# tarball built from this checkout, community.docker taken from the installed 'ansible' package (the
# test fleet's connection), and the CA bundle pip trusts on this machine (read now, never committed).
#
# The image is tagged by a hash of its inputs (the definition, this script, the base image, and the
# FILES.json checksums of both collection tarballs); when that tag exists the build is skipped.
# Prints the image reference (NAME:HASH) on stdout; everything else on stderr.
#
# Needs: Docker, and ansible-galaxy + ansible-builder on PATH (the project venv has both).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
name="${AOP_EE_IMAGE_NAME:-originpulls/aop-ee}"
prefix=ee
# shellcheck source=tests/images/lib.sh
. tests/images/lib.sh

command -v ansible-builder >/dev/null 2>&1 || die "ansible-builder is not on PATH (activate the project venv)"
base=$(bash tests/images/build-ee-base-image.sh)

work="$here/.cache/ee-build"
rm -rf "$work"
mkdir -p "$work/collections"
cp examples/execution-environment.yml "$work/execution-environment.yml"

ansible-galaxy collection build --force --output-path "$work/collections" . >&2
mv "$work"/collections/originpulls-aop-*.tar.gz "$work/collections/originpulls-aop.tar.gz"
# community.docker and the collection it depends on, from the installed 'ansible' package. An installed
# collection carries MANIFEST.json and FILES.json, so it packs as a built tarball; the 'ansible' package
# leaves out some files FILES.json lists (CI configuration), which ansible-galaxy would look for: the
# packed FILES.json lists the files that are there (each still with its checksum).
deps=(community.docker community.library_inventory_filtering_v1)
for dep in "${deps[@]}"; do
  python3 - "$dep" "$work/collections/${dep//./-}.tar.gz" <<'PY' || die "cannot pack $dep (the 'ansible' package brings it)"
import importlib, io, json, os, sys, tarfile
root = importlib.import_module("ansible_collections." + sys.argv[1]).__path__[0]
files = json.load(open(os.path.join(root, "FILES.json")))
files["files"] = [f for f in files["files"] if f["name"] == "." or os.path.lexists(os.path.join(root, f["name"]))]
with tarfile.open(sys.argv[2], "w:gz") as tar:
    tar.add(os.path.join(root, "MANIFEST.json"), "MANIFEST.json")
    data = json.dumps(files, indent=4).encode()
    info = tarfile.TarInfo("FILES.json")
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))
    for f in files["files"]:
        if f["name"] != ".":
            tar.add(os.path.join(root, f["name"]), f["name"], recursive=False)
PY
done

# The CA bundle pip trusts here (pip's own setting first), so that pip inside the build trusts the same.
ca="${PIP_CERT:-}"
[[ -n $ca ]] || ca=$(python3 -m pip config get global.cert 2>/dev/null || true)
[[ -n $ca ]] || ca="${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
[[ -f $ca ]] || die "no CA bundle at $ca"
cp "$ca" "$work/build-ca.pem"

hash=$(
  {
    cat examples/execution-environment.yml scripts/build-ee.sh
    echo "$base"
    tar -xzOf "$work/collections/originpulls-aop.tar.gz" FILES.json
    for dep in "${deps[@]}"; do tar -xzOf "$work/collections/${dep//./-}.tar.gz" FILES.json; done
  } | sha256sum | cut -c1-12
)
ref="$name:$hash"
reuse_image "$ref" "$name:latest"

start=$(date +%s)
say "building $ref on $base (ansible-builder; pip trusts $ca)"
ansible-builder build --container-runtime docker -f "$work/execution-environment.yml" -c "$work/context" \
  -t "$ref" --build-arg EE_BASE_IMAGE="$base" -v 2 >&2 || die "ansible-builder build failed"
built "$ref" "$start" "$name:latest"

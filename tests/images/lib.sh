# Shared by the local image builds: tests/images/build-origin-image.sh, tests/images/build-ee-base-image.sh
# and scripts/build-ee.sh. Source it after setting 'prefix' (the tag of their messages on stderr).
# Nothing here goes into an image, so the images' input hashes leave this file out.
# shellcheck shell=bash

say() { printf '[%s] %s\n' "$prefix" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$prefix" "$*" >&2; exit 1; }

need_docker() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 \
    || die "no Docker daemon answers; run scripts/ensure-docker.sh first"
}

# reuse_image REF [LATEST]: when REF exists, tag it LATEST (if given), print it and end the script.
reuse_image() {
  docker image inspect "$1" >/dev/null 2>&1 || return 0
  say "$1 exists; build skipped"
  [[ -z ${2:-} ]] || docker tag "$1" "$2"
  echo "$1"
  exit 0
}

# built REF START [LATEST]: after a build begun at START (date +%s), tag it LATEST (if given) and print it.
built() {
  [[ -z ${3:-} ]] || docker tag "$1" "$3"
  say "built $1 in $(( $(date +%s) - $2 ))s"
  echo "$1"
}

need_mmdebstrap() {
  command -v mmdebstrap >/dev/null 2>&1 && return 0
  [[ $(id -u) -eq 0 ]] || die "mmdebstrap is missing; install it (apt-get install mmdebstrap) or run as root"
  say "installing mmdebstrap (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  } || die "apt-get install mmdebstrap failed"
}

#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#
# - A reachable daemon (DOCKER_HOST or the default socket) is used as it is.
# - Otherwise, as root, install Debian's docker.io if dockerd is missing and start
#   dockerd in the background (setsid, log in .cache/dockerd.log), then wait until
#   it answers. The pid of a daemon started here is written to .cache/dockerd.pid.
# - It never stops a daemon it did not start (`--stop` only stops the one in
#   .cache/dockerd.pid, and only if that process is still a dockerd).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$here/.cache"
mkdir -p "$cache"
pidfile="$cache/dockerd.pid"
logfile="$cache/dockerd.log"
wait_s="${AOP_DOCKERD_WAIT:-60}"

say() { printf '[docker] %s\n' "$*" >&2; }
die() { printf '[docker] ERROR: %s\n' "$*" >&2; exit 1; }

daemon_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

if [[ "${1:-}" == "--stop" ]]; then
  if [[ -f "$pidfile" ]]; then
    pid=$(cat "$pidfile")
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]]; then
      say "stopping dockerd $pid (started by this project)"
      kill "$pid"
    fi
    rm -f "$pidfile"
  else
    say "no dockerd started by this project; nothing stopped"
  fi
  exit 0
fi

# Every test origin runs systemd (plus nginx, Traefik's file watcher, ...), and each takes inotify
# instances from the same per-user kernel limit as the host. The default (128) runs out with a couple
# of fleets up: Traefik then fails to watch its dynamic directory ("couldn't initialize inotify: too many
# open files") and never serves its routes. Raise it when it is low and we may.
inotify=/proc/sys/fs/inotify/max_user_instances
if [[ -w $inotify && $(cat "$inotify") -lt 1024 ]]; then
  echo 1024 >"$inotify" 2>/dev/null && say "raised fs.inotify.max_user_instances to 1024 (systemd test origins)" || true
fi

if daemon_answers; then
  say "daemon reachable: $(docker version --format 'server {{.Server.Version}}' 2>/dev/null)"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  die "no Docker daemon answers and this is not root, so none can be installed or started here.
  Either start Docker yourself (e.g. 'sudo systemctl start docker', or 'sudo dockerd &')
  and add your user to the 'docker' group, or run this command as root."
fi

if ! command -v dockerd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "dockerd is not installed and apt-get is not available.
  Install a Docker engine with your distribution's package manager and run this again."
  say "installing Debian's docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || die "apt-get update failed; check the apt sources"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
fi

# Some images ship a client-only 'docker' (e.g. a newer CLI) without Debian's engine
# being complete; check again now that dockerd exists.
command -v dockerd >/dev/null 2>&1 || die "dockerd still not found after installing docker.io"

if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  say "trying 'systemctl start docker'"
  systemctl start docker >/dev/null 2>&1 || true
fi

if ! daemon_answers; then
  say "starting dockerd in the background (log: $logfile)"
  setsid dockerd >"$logfile" 2>&1 < /dev/null &
  echo $! >"$pidfile"
fi

for _ in $(seq 1 "$wait_s"); do
  if daemon_answers; then
    say "daemon up: $(docker version --format 'server {{.Server.Version}}')"
    exit 0
  fi
  sleep 1
done
tail -n 20 "$logfile" >&2 || true
die "dockerd did not answer within ${wait_s}s; see $logfile"

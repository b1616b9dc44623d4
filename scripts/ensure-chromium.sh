#!/usr/bin/env bash
# Make sure a Chromium that can run headless is installed (the HTML report's browser test renders
# with it: tests/integration_pytest/test_audit_report_browser.py).
#
# - A chromium (or chromium-browser) on PATH is used as it is.
# - Otherwise, as root, install Debian's chromium package with apt-get (once; a second run finds it).
# - Not root and none installed: say what to run, and fail.
set -euo pipefail

say() { printf '[chromium] %s\n' "$*" >&2; }
die() { printf '[chromium] ERROR: %s\n' "$*" >&2; exit 1; }

found() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if bin=$(found); then
  say "found $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "chromium is not installed and this is not root, so it cannot be installed here.
  Install it yourself ('sudo apt-get install chromium') or run this command as root."
command -v apt-get >/dev/null 2>&1 || die "chromium is not installed and apt-get is not available.
  Install Chromium with your distribution's package manager and run this again."

say "installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg lock rather than fail when another install (ensure-docker.sh) runs at the same time.
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || die "apt-get update failed; check the apt sources"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium fonts-dejavu-core >/dev/null || die "apt-get install chromium failed"

bin=$(found) || die "chromium still not found after installing Debian's chromium package"
say "installed $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"

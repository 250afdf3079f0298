#!/usr/bin/env bash
# Makes sure Debian's HAProxy is installed for the load-balancer test
# (tests/api/load_balancer.rs runs deploy/haproxy.cfg in front of three instances).
# Installs the `haproxy` package with apt-get when `command -v haproxy` finds nothing.
set -euo pipefail

# Debian installs it in /usr/sbin, which is not on every user's PATH.
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-haproxy: haproxy is not installed and this is not root;" >&2
  echo "ensure-haproxy: install it with: sudo apt-get install -y haproxy" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-haproxy: installing Debian's haproxy package" >&2
if ! apt-get install -y -q haproxy >/dev/null; then
  # The package lists may be missing or stale on a fresh machine: refresh them once.
  apt-get update -q >/dev/null
  apt-get install -y -q haproxy >/dev/null
fi

if ! command -v haproxy >/dev/null 2>&1 && ! [ -x /usr/sbin/haproxy ]; then
  echo "ensure-haproxy: apt-get finished but haproxy is still not installed" >&2
  exit 1
fi
echo "ensure-haproxy: installed $(haproxy -v 2>/dev/null | head -1 || echo haproxy)" >&2

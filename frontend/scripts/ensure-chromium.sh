#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the end-to-end test (playwright-core drives
# it; Playwright's own browser downloads are not reachable from here). Installs the
# `chromium` package with apt-get when `command -v chromium` finds nothing.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: chromium is not installed and this is not root;" >&2
  echo "ensure-chromium: install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing Debian's chromium package" >&2
if ! apt-get install -y -q chromium >/dev/null; then
  # The package lists may be missing or stale on a fresh machine: refresh them once.
  apt-get update -q >/dev/null
  apt-get install -y -q chromium >/dev/null
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get finished but \`chromium\` is still not on PATH" >&2
  exit 1
fi
echo "ensure-chromium: installed $(chromium --version 2>/dev/null || echo chromium)" >&2

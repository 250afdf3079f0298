#!/usr/bin/env bash
# Builds the web app into frontend/dist: installs its packages (npm ci) when they are
# missing or older than package-lock.json, then runs codegen, the type check and Vite.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build

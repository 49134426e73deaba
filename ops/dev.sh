#!/usr/bin/env bash
# Fresh machine to running holdfast on :8080 in one command: node deps (only when missing or out of date),
# the local stack (only what is not already up), then `holdfast serve --dev` in the foreground.
# Afterwards: curl localhost:8080/v1/products/demo/availability
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node ops/stack/deps-fresh.mjs .; then
  # npm ci: installs exactly what package-lock.json pins (the lock file is complete, optional platform
  # packages included) and never rewrites it.
  npm ci --no-audit --no-fund
fi
node ops/bin/holdfast.mjs stack up
exec node ops/bin/holdfast.mjs serve --dev "$@"

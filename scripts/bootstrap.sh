#!/usr/bin/env bash
# Installs what this checkout needs and is missing: uv, the Python packages, and bun (from the
# npm registry, into .tools/, because Reflex's own bun installer cannot reach its server here).
# Every step is skipped when already done, so a second run costs about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv"
  python3 -m pip install --quiet uv || python3 -m pip install --quiet --break-system-packages uv
fi

uv sync --frozen --quiet

BUN=.tools/node_modules/@oven/bun-linux-x64/bin/bun
if [ ! -x "$BUN" ]; then
  echo "==> installing bun into .tools/"
  npm install --prefix .tools --ignore-scripts --no-audit --no-fund --silent bun@1.4.5
fi

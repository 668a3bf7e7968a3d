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

# --compile-bytecode: the packages' .pyc files are written once, here. Python would write them
# at first import, but not where PYTHONDONTWRITEBYTECODE is set (as on these machines): then
# every start compiled ~1,300 modules again, 5 of a restart's 13 s. When nothing changed this
# costs about half a second.
uv sync --frozen --quiet --compile-bytecode

BUN=.tools/node_modules/@oven/bun-linux-x64/bin/bun
if [ ! -x "$BUN" ]; then
  echo "==> installing bun into .tools/"
  npm install --prefix .tools --ignore-scripts --no-audit --no-fund --silent bun@1.4.5
fi

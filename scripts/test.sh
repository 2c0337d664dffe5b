#!/usr/bin/env bash
# Set everything up (scripts/setup.sh), then run the layering contracts and the
# test suite without a display (Xvfb when available, else Qt's offscreen platform).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
if [ -f scripts/devkit_venv.sh ]; then
  bash scripts/devkit_venv.sh || echo "test: the nuscenes-devkit venv could not be made; its checks will skip"
fi

echo "== import-linter (layering contracts)"
.venv/bin/lint-imports

echo "== pytest"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"

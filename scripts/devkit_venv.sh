#!/usr/bin/env bash
# Create .venv-devkit with the official nuscenes-devkit (it pins numpy<2, so it
# cannot share .venv). Idempotent: does nothing when the devkit already imports.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-devkit
PY="${PYTHON:-python3}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import nuscenes.nuscenes" >/dev/null 2>&1; then
  echo "devkit_venv: $VENV ready"
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check nuscenes-devkit
"$VENV/bin/python" -c "import nuscenes.nuscenes" && echo "devkit_venv: $VENV ready"

#!/usr/bin/env bash
# Set everything up (scripts/setup.sh), then open the demo (a synthetic sequence).
# Without a display it runs under Xvfb; pass --headless for a text summary only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [[ " $* " != *" --headless "* ]]; then
  if command -v xvfb-run >/dev/null 2>&1; then
    echo "run-demo: no display found; running under Xvfb (pass --headless for a text summary)"
    exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/sweeplabel demo "$@"
  fi
fi
exec .venv/bin/sweeplabel demo "$@"

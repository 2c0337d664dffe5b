#!/usr/bin/env bash
# Set up sweeplabel on a Debian/Ubuntu machine: system libraries for Qt and Open3D
# (when run as root; otherwise the exact apt-get line is printed), then a virtual
# environment in .venv with the project and its test extras installed.
# Usage: scripts/setup.sh [--test]   (--test adds what only the tests need)
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  libgl1 libegl1 libgomp1 libusb-1.0-0 mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libxcb-xfixes0 libxcb1 libx11-xcb1 libxrender1 libxi6 libsm6 libice6
  libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 xvfb xauth
)

# The tests also drive headless Chromium (the QA report) when it can be installed.
if [ "${1:-}" = "--test" ]; then
  SYSTEM_PACKAGES+=(chromium)
fi

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing system libraries: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || echo "setup: apt-get could not install everything; tests that need it will skip"
  else
    echo "setup: these system libraries are missing; run as root:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.sweeplabel-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing sweeplabel and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
# Compile the Numba kernels now, so the first start of the app does not (Numba caches them).
echo "setup: preparing the point kernels (sweeplabel warmup)"
.venv/bin/sweeplabel warmup || echo "setup: warmup failed; the kernels compile at their first use"
echo "setup: ready (.venv/bin/sweeplabel)"

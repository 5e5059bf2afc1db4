#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing.
#   scripts/system-deps.sh          everything the test suite needs (Xvfb, Chromium, Kivy's libraries)
#   scripts/system-deps.sh tablet   only what the Kivy window needs (make run, when a display exists)
set -euo pipefail
what=${1:-all}
need=()
# Kivy's SDL2 window needs Mesa's GL and a few X libraries; xclip is its clipboard provider.
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1 libegl1)
ldconfig -p 2>/dev/null | grep -q 'libmtdev.so.1' || need+=(libmtdev1)
ldconfig -p 2>/dev/null | grep -q 'libXrender.so.1' || need+=(libxrender1)
command -v xclip >/dev/null 2>&1 || need+=(xclip)
# zbar: the QR decoder the Android build uses (pyzbar), tested on the desktop too.
ldconfig -p 2>/dev/null | grep -q 'libzbar.so.0' || need+=(libzbar0)
if [ "$what" = "all" ]; then
  command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "Missing system packages: ${need[*]} (install them with apt-get as root)" >&2
      exit 1
    fi
  fi
  echo "Installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

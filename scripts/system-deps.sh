#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing.
set -euo pipefail
need=()
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Kivy's SDL2 window needs Mesa's GL and a few X libraries.
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1 libegl1)
ldconfig -p 2>/dev/null | grep -q 'libmtdev.so.1' || need+=(libmtdev1)
ldconfig -p 2>/dev/null | grep -q 'libxrender.so.1\|libXrender.so.1' || need+=(libxrender1)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "Missing system packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

#!/usr/bin/env bash
# Runs the whole suite. UI tests need a display: run under Xvfb when there is none.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1
mkdir -p test-output
args=("$@")
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest "${args[@]}"
else
  .venv/bin/python -m pytest "${args[@]}"
fi
rc=$?
# pytest exit code 5 means no tests were collected: that is a failure here.
if [ $rc -eq 5 ]; then echo "No tests were collected: failing." >&2; exit 1; fi
exit $rc

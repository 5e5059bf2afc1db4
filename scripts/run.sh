#!/usr/bin/env bash
# make run: whatever exists of the system, started against a demo ward.
set -euo pipefail
cd "$(dirname "$0")/.."
if .venv/bin/rasoat --help 2>/dev/null | grep -q ' serve'; then
  exec bash scripts/run-demo.sh
fi
echo "== rasoat: example household =="
.venv/bin/rasoat validate examples/household-poor.json || true
.venv/bin/rasoat classify examples/household-poor.json

#!/usr/bin/env bash
# Tablet screenshots for the collaborator's guide (docs/huong-dan-cong-tac-vien.md): the tablet's UI
# test drives the real Kivy app under Xvfb and writes its screens to test-output/screens/; the ones
# the guide shows are copied to docs/images/tablet-*.png.
set -uo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest tests/mobile/test_ui.py -q -p no:cacheprovider \
  -k "enroll_collect_classify_offline" >/dev/null 2>&1
mkdir -p docs/images
missing=0
for pair in 01-enroll:01-dang-ky-may 02-households:02-danh-sach-ho 04-member-form:03-thanh-vien \
            05-bad-input:04-nhap-sai 09-sync-done:05-dong-bo; do
  src="test-output/screens/${pair%%:*}.png"; dst="docs/images/tablet-${pair##*:}.png"
  if [ -f "$src" ]; then cp "$src" "$dst"; echo "$dst"; else echo "missing: $src" >&2; missing=1; fi
done
exit $missing

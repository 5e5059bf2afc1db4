#!/usr/bin/env bash
# Tablet screenshots for docs/tablet.md and the collaborator's guide (docs/huong-dan-cong-tac-vien.md):
# the tablet's UI tests drive the real Kivy app in a real window under Xvfb (1280x800, the tablet's
# landscape size) and write its screens to test-output/screens/; the ones the docs show are copied to
# docs/images/tablet-*.png. Fails when a test fails or a screen is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1
rm -f test-output/screens/*.png
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest -q -p no:cacheprovider \
  "tests/mobile/test_ui.py::test_enroll_collect_classify_offline" \
  "tests/mobile/test_ui.py::test_restart_sync_return_and_resend" \
  tests/mobile/test_ui_calm.py tests/mobile/test_ui_finish_sync.py >test-output/tablet-screenshots.log 2>&1
rc=$?
if [ $rc -ne 0 ]; then tail -30 test-output/tablet-screenshots.log >&2; echo "UI tests failed (rc $rc)" >&2; fi
mkdir -p docs/images
missing=0
# Every picture copied here is shown by a guide (tests/office/test_run_script.py checks it).
for pair in 01-enroll:01-dang-ky-may 02-households:02-danh-sach-ho 04-member-form:03-thanh-vien \
            42-calm-message-after-leaving:04-nhap-sai 09-sync-done:05-dong-bo \
            43-info-devices-none:08-khong-co-phuong-tien 44-member-delete-ask:09-xoa-thanh-vien \
            51-income-running-line:11-thu-nhap-binh-quan 52-summary-icons:12-ket-qua \
            46-finished-queued:13-hoan-thanh-cho-gui 47-finished-received:14-hoan-thanh-da-nhan \
            48-sync-progress:15-dang-dong-bo 50-list-sync-states:17-trang-thai-gui \
            40-sync-clock-note:18-gio-viet-nam; do
  src="test-output/screens/${pair%%:*}.png"; dst="docs/images/tablet-${pair##*:}.png"
  if [ -f "$src" ]; then cp "$src" "$dst"; echo "$dst"; else echo "missing: $src" >&2; missing=1; fi
done
[ $rc -eq 0 ] && [ $missing -eq 0 ]

#!/usr/bin/env bash
# make run: seed a demo ward, start the server, open the tablet app when a display exists.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${RASOAT_DEMO_DIR:-.rasoat-demo}
PORT=${RASOAT_PORT:-8765}
URL="http://127.0.0.1:${PORT}"
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)   # absolute

# A port already taken (another rasoat, or anything else) is said before any URL is printed.
if ! .venv/bin/python - "$PORT" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
then
  cat >&2 <<MSG

  Cổng ${PORT} đang được một chương trình khác dùng (có thể là một máy chủ rasoat khác đang chạy).
  Dừng chương trình đó, hoặc chạy với cổng khác:  RASOAT_PORT=8766 make run
  Port ${PORT} is already in use (perhaps by another rasoat server). Stop it, or choose another port:
  RASOAT_PORT=8766 make run

MSG
  exit 1
fi
export RASOAT_DATA_DIR="$DATA"

.venv/bin/rasoat serve --demo --data-dir "$DATA" --port "$PORT" --public-url "$URL" \
  --demo-households "${RASOAT_DEMO_HOUSEHOLDS:-600}" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 120); do
  if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('$URL/api/v1/health', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 $SERVER 2>/dev/null || { echo "Máy chủ không khởi động được / the server did not start" >&2; exit 1; }
  sleep 0.5
done

cat <<MSG

  Bảng điều khiển phường / ward console:  $URL/console
  API docs:                               $URL/docs
  (demo logins are printed above: admin / officer / viewer)

MSG

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  bash scripts/system-deps.sh tablet || echo "(could not install the tablet's system libraries; trying anyway)" >&2
  TABLET="$DATA/tablet"
  if [ ! -f "$TABLET/enrolled" ]; then
    CODE=$(.venv/bin/rasoat enroll-code 1 --data-dir "$DATA" --public-url "$URL" | .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)['code'])")
    mkdir -p "$TABLET"
    echo "Mở ứng dụng máy tính bảng / opening the tablet app (enrolled as demo collaborator 1)"
    .venv/bin/python main.py --data-dir "$TABLET" --server "$URL" --enroll-code "$CODE" --device-name "Demo tablet" && touch "$TABLET/enrolled" || true
  else
    .venv/bin/python main.py --data-dir "$TABLET" || true
  fi
  echo "Ứng dụng đã đóng; máy chủ vẫn chạy (Ctrl+C để dừng) / app closed; server still running (Ctrl+C to stop)"
else
  echo "Không có màn hình: chỉ chạy máy chủ (Ctrl+C để dừng) / no display: server only (Ctrl+C to stop)"
fi
wait $SERVER

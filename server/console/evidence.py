"""Evidence on the household page: photos (thumbnails made by the server, click to enlarge), the hold
of an incomplete submission, and the GPS position plotted among the ward's other households on an
inline SVG (no external tile server). ``print_blocks`` gives the same photos and GPS for the print
views of the process (community-meeting minutes)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from ..errors import ApiError
from ..services import attachments as service
from . import formtext, i18n
from .web import PREFIX, ConsoleError, ViewerUser, get_db, get_settings, make_router

router = make_router()
MESSAGES: i18n.Messages = {      # this module's strings (the console's part: server/console/__init__.py)
    "vi": {"hh.gps_time": "Thời điểm lấy vị trí", "hh.gps_plot": "vị trí so với {n} hộ khác của phường",
           "hh.photos_incomplete": "Phiếu đang được giữ ở trạng thái chưa đủ: còn thiếu {n} ảnh chưa gửi lên máy chủ. "
                                   "Phiếu tự hoàn tất khi ảnh đến.",
           "hh.photo_missing": "Ảnh chưa đến máy chủ"},
    "en": {"hh.gps_time": "Position taken at", "hh.gps_plot": "position among {n} other households of the ward",
           "hh.photos_incomplete": "Held as incomplete: {n} photos have not reached the server yet. "
                                   "It completes by itself when they arrive.",
           "hh.photo_missing": "Photo not on the server yet"},
}
MAX_POINTS = 5000
SVG_W, SVG_H, PAD = 360, 260, 14


def _file(request: Request, user: Any, sha256: str):
    try:
        return service.readable(get_db(request), service.root_dir(get_settings(request).data_dir), user, sha256)
    except ApiError as exc:
        raise ConsoleError(exc.status) from None


@router.get(PREFIX + "/attachments/{sha256}")
def photo(request: Request, sha256: str, user: ViewerUser) -> Response:
    path, ctype = _file(request, user, sha256)
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "private, max-age=31536000, immutable"})


@router.get(PREFIX + "/attachments/{sha256}/thumb")
async def thumb(request: Request, sha256: str, user: ViewerUser) -> Response:
    _file(request, user, sha256)
    root = service.root_dir(get_settings(request).data_dir)
    # not an image we can show: an ApiError (413 / 422) shown as the error page, the same answer every time
    path = await run_in_threadpool(service.thumbnail, get_db(request), root, sha256)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=31536000, immutable"})


def _points(conn: sqlite3.Connection, household_id: str) -> list[tuple[float, float, bool]]:
    """GPS of the ward's households (current revisions), this one flagged."""
    rows = conn.execute(
        "SELECT h.household_id, json_extract(s.body, '$.answers.gps.lat'), json_extract(s.body, '$.answers.gps.lon') "
        "FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
        "JOIN area_groups g ON g.id = h.group_id "
        "WHERE g.ward_id = (SELECT g2.ward_id FROM households h2 JOIN area_groups g2 ON g2.id = h2.group_id "
        "                   WHERE h2.household_id = ?) "
        "AND json_extract(s.body, '$.answers.gps.lat') IS NOT NULL LIMIT ?", (household_id, MAX_POINTS)).fetchall()
    out = []
    for hid, lat, lon in rows:
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            out.append((float(lat), float(lon), hid == household_id))
    return out


def plot(conn: sqlite3.Connection, household_id: str, gps: Any) -> dict[str, Any] | None:
    """Positions scaled into an SVG box (north up, equal metres per pixel both ways)."""
    if not isinstance(gps, dict) or not isinstance(gps.get("lat"), (int, float)) \
            or not isinstance(gps.get("lon"), (int, float)):
        return None
    pts = [p for p in _points(conn, household_id) if not p[2]]
    me = (float(gps["lat"]), float(gps["lon"]))
    lats = [p[0] for p in pts] + [me[0]]
    lons = [p[1] for p in pts] + [me[1]]
    import math
    kx = math.cos(math.radians(me[0]))                 # a degree of longitude is shorter than one of latitude
    span_x = max((max(lons) - min(lons)) * kx, 1e-4)
    span_y = max(max(lats) - min(lats), 1e-4)
    scale = min((SVG_W - 2 * PAD) / span_x, (SVG_H - 2 * PAD) / span_y)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (round(PAD + (lon - min(lons)) * kx * scale, 1), round(SVG_H - PAD - (lat - min(lats)) * scale, 1))
    metres = span_x * 111_320
    acc = gps.get("accuracy_m")
    r = max(3.0, min(60.0, (acc / 111_320) * scale)) if isinstance(acc, (int, float)) else 5.0
    return {"w": SVG_W, "h": SVG_H, "others": [xy(p[0], p[1]) for p in pts], "me": xy(*me), "r": round(r, 1),
            "width_m": round(metres), "count": len(pts)}


def context(conn: sqlite3.Connection, household_id: str, submission_id: str | None,
            answers: dict[str, Any]) -> dict[str, Any]:
    ev = service.household_evidence(conn, household_id, submission_id, answers)
    ev["plot"] = plot(conn, household_id, answers.get("gps"))
    return ev


def _gps(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("lat"), (int, float)) \
            and isinstance(value.get("lon"), (int, float)):
        return value
    return None


def print_blocks(conn: sqlite3.Connection, household_ids: list[str], lang: str = "vi") -> dict[str, dict[str, Any]]:
    """Per household of a print view, from its current revision: the photos the server holds (sha256,
    the label of the question each documents, taken_at), how many are still missing, and its GPS.
    Households whose current revision names no photo are left out (no block is printed for them)."""
    ids = list(dict.fromkeys(household_ids))
    rows: list[sqlite3.Row] = []
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        rows += conn.execute(
            "SELECT h.household_id, h.submission_id, s.body FROM households h "
            "JOIN submissions s ON s.submission_id = h.submission_id "
            f"WHERE h.household_id IN ({','.join('?' * len(part))})", part).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for hid, sid, raw in rows:
        body = json.loads(raw)
        answers = body.get("answers") if isinstance(body.get("answers"), dict) else {}
        if not answers.get("photos"):
            continue
        ev = service.household_evidence(conn, hid, sid, answers)
        if not ev["photos"]:
            continue
        version = body.get("form_version") or answers.get("form_version") or "2025.1"
        photos = [{"sha256": p["sha256"], "question": p.get("question") or "",
                   "label": formtext.label(p.get("question") or "", lang, version) if p.get("question") else "",
                   "taken_at": p.get("taken_at") or ""} for p in ev["photos"] if p["present"]]
        out[hid] = {"photos": photos, "missing": sum(1 for p in ev["photos"] if not p["present"]),
                    "gps": _gps(answers.get("gps"))}
    return out

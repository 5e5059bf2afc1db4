"""The dashboard: progress by group and by collaborator, classes under each standard, devices."""
from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from . import queries
from .queries import CLASS_ORDER
from .web import PREFIX, ViewerUser, get_db, get_lang, make_router, render

router = make_router()


def class_chart(counts: dict[str, dict[str, int]], lang: str) -> dict:
    """Geometry of an inline SVG bar chart: one row of bars per standard (no JS, no CDN)."""
    rows = []
    peak = max([n for c in counts.values() for k, n in c.items() if k in ("poor", "near_poor", "average")] + [1])
    y = 0
    for sid, c in counts.items():
        bars = []
        for i, cls in enumerate(("poor", "near_poor", "average")):
            n = c.get(cls, 0)
            bars.append({"cls": cls, "n": n, "y": y + 22 + i * 20, "w": round(420 * n / peak, 1)})
        rows.append({"standard_id": sid, "name": queries.standard_name(lang, sid), "y": y + 14, "bars": bars})
        y += 22 + 3 * 20 + 14
    return {"rows": rows, "height": max(y, 40)}


@router.get(PREFIX + "/dashboard")
def dashboard(request: Request, user: ViewerUser) -> Response:
    db = get_db(request)
    with db.snapshot() as conn:
        by_group = queries.progress_by_group(conn)
        by_collab = queries.progress_by_collaborator(conn)
        counts = queries.class_counts(conn)
        devices = queries.devices(conn)
        work = queries.work_waiting(conn)
    total = {k: sum(g[k] for g in by_group) for k in ("expected", "surveyed", "accepted", "returned", "needs_review")}
    lang = get_lang(request)
    return render(request, "dashboard.html", by_group=by_group, by_collab=by_collab, counts=counts, total=total,
                  devices=devices, classes=CLASS_ORDER, chart=class_chart(counts, lang), work=work,
                  standard_name=lambda sid: queries.standard_name(lang, sid))

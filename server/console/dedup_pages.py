"""The duplicates queue over server.dedup.review: ranked pairs, evidence side by side with the
per-field contributions, decisions (same / different / split / unsure) and undo of a merge."""
from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from starlette.responses import Response

from .. import vnformat
from ..dedup import decisions
from ..dedup import review as dedup_review
from ..store import users
from .i18n import Messages
from .web import (PREFIX, ConsoleError, OfficerPost, ViewerUser, form_data, get_db, get_lang, get_now, make_router,
                  redirect, render)

router = make_router()
PER_PAGE = 50
QUEUE_STATUSES = ("open", "linked", "decided", "dismissed")

# Every field and level of server.dedup.compare.FIELDS has a label here (tests/office/test_labels.py).
_FIELDS_VI = {"name": "Họ tên chủ hộ", "birth_year": "Năm sinh chủ hộ", "citizen_id": "Số CCCD",
              "address": "Địa chỉ", "phone": "Số điện thoại", "roster": "Danh sách thành viên",
              "head": "Chủ hộ (họ tên và năm sinh)", "size": "Số nhân khẩu",
              "head_link": "Chủ hộ có trong hồ sơ kia", "birth_date": "Ngày sinh", "street": "Đường, số nhà",
              "locality": "Địa bàn"}
_FIELDS_EN = {"name": "Head's name", "birth_year": "Head's birth year", "citizen_id": "Citizen ID",
              "address": "Address", "phone": "Phone", "roster": "Member roster",
              "head": "Head (name and birth year)", "size": "Household size",
              "head_link": "Head on the other record", "birth_date": "Birth date", "street": "Street and number",
              "locality": "Locality"}
_LEVELS_VI = {"null": "thiếu dữ liệu", "exact": "trùng khớp", "folded_equal": "giống khi bỏ dấu",
              "accent_conflict": "khác dấu", "reordered": "đảo thứ tự", "fuzzy": "gần giống",
              "given_only": "chỉ trùng tên", "different": "khác", "equal": "bằng nhau", "off_by_one": "lệch 1 năm",
              "head_equal": "chủ hộ trùng số", "member_shared": "có thành viên trùng số",
              "head_one_edit": "chủ hộ lệch 1 chữ số", "head_different": "chủ hộ khác số",
              "all_different": "tất cả khác", "same_house": "cùng số nhà",
              "same_base_other_suffix": "cùng số gốc, khác hậu tố", "same_street_other_house": "cùng đường, khác nhà",
              "shared": "có số chung", "identical": "giống hệt", "most": "phần lớn trùng", "one_of_two": "một nửa",
              "few": "ít trùng", "none": "không trùng",
              "same_name_same_year": "cùng tên, cùng năm sinh", "same_name_near_year": "cùng tên, năm sinh gần",
              "same_name_no_year": "cùng tên, thiếu năm sinh", "same_name_other_year": "cùng tên, khác năm sinh",
              "similar_name_near_year": "tên gần giống, năm sinh gần",
              "similar_name_other_year": "tên gần giống, khác năm sinh",
              "given_only_near_year": "chỉ trùng tên gọi, năm sinh gần",
              "other_name_near_year": "khác tên, năm sinh gần", "one_apart": "lệch 1 người",
              "two_apart": "lệch 2 người", "spouse": "là vợ/chồng", "member": "là thành viên",
              "couple": "có thể là vợ chồng (khác giới, tuổi gần nhau)",
              "heir": "có thể là cha/mẹ và con (cùng họ, cách một thế hệ)", "absent": "không có",
              "one_edit": "lệch 1 ký tự",
              "two_edits": "lệch 2 ký tự", "same": "giống", "street_only": "chỉ trùng đường",
              "number_only": "chỉ trùng số nhà", "postcode_and_locality": "cùng mã vùng và địa bàn",
              "near_postcode_and_locality": "mã vùng gần, cùng địa bàn", "postcode_only": "chỉ trùng mã vùng",
              "locality_only": "chỉ trùng địa bàn", "near_postcode_only": "chỉ có mã vùng gần"}
_FLAGS = {"no_name": ("thiếu họ tên chủ hộ", "no head's name"), "no_address": ("thiếu địa chỉ", "no address"),
          "no_identifier": ("thiếu số CCCD và số điện thoại", "no citizen ID or phone")}
_LINK_SOURCES = {"auto": ("Gộp tự động (xác suất rất cao)", "Merged automatically (very high probability)"),
                 "human": ("Cán bộ quyết định gộp", "Merged by an officer")}
# this module's strings (the console's part: server/console/__init__.py)
MESSAGES: Messages = {
    "vi": {"dup.born": "Năm sinh"} | {f"dup.f.{k}": v for k, v in _FIELDS_VI.items()}
    | {f"dup.l.{k}": v for k, v in _LEVELS_VI.items()},
    "en": {"dup.born": "Born"} | {f"dup.f.{k}": v for k, v in _FIELDS_EN.items()}
    | {f"dup.l.{k}": k.replace("_", " ") for k in _LEVELS_VI}}


def reason_label(lang: str):
    """A pair's note by its label (server.dedup.review.REASON_LABELS), never its code."""
    labels = getattr(dedup_review, "REASON_LABELS", {})

    def label(code: str) -> str:
        pair = labels.get(code)
        if pair is None:
            return "Lưu ý khác" if lang == "vi" else "Other note"
        return pair[0] if lang == "vi" else pair[1]
    return label


@router.get(PREFIX + "/duplicates")
def queue_page(request: Request, user: ViewerUser, status: str = "open", page: int = 1) -> Response:
    db = get_db(request)
    status = status if status in QUEUE_STATUSES else "open"
    page = max(1, page)
    with db.snapshot() as conn:
        if not decisions.ready(conn):
            return render(request, "duplicates.html", ready=False, items=[], status=status, statuses=QUEUE_STATUSES,
                          page=1, pages=1, total=0, reason_label=reason_label(get_lang(request)))
        items = dedup_review.queue(conn, PER_PAGE, (page - 1) * PER_PAGE, status)
        total = conn.execute("SELECT COUNT(*) FROM dedup_candidates WHERE status = ?", (status,)).fetchone()[0]
    return render(request, "duplicates.html", ready=True, items=items, status=status, statuses=QUEUE_STATUSES,
                  page=page, pages=max(1, math.ceil(total / PER_PAGE)), total=total,
                  reason_label=reason_label(get_lang(request)))


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except decisions.Unavailable:
        raise ConsoleError(404, "dup.unavailable") from None
    except dedup_review.DedupError as exc:
        raise ConsoleError(exc.status, exc.message_vi) from None


def _labelled(d: dict[str, Any], names: dict[str, str], lang: str) -> dict[str, Any]:
    """A pair's detail with its words in ``lang``: who linked and decided (``names``: by actor),
    the links' sources, the decisions' labels, the records' flags."""
    i = 0 if lang == "vi" else 1

    def who(actor: str | None) -> str:
        if actor in names:
            return names[actor]
        return vnformat.actor("system", None, lang)

    choices = {c["decision"]: c[f"label_{lang}"] for c in d["choices"]}
    for lk in d["links"]:
        lk["source_label"] = _LINK_SOURCES.get(lk["source"], ("Liên kết", "Link"))[i]
        lk["by"], lk["undone_by_name"] = who(lk["created_by"]), who(lk.get("undone_by")) if lk.get("undone_by") else ""
    for h in d["decisions"]:
        h["by"] = who(h.get("decided_by"))
        h["decision_label"] = choices.get(h["decision"], h["decision"])
    for side in ("a", "b"):
        d[side]["flag_labels"] = [_FLAGS.get(f, ("thiếu dữ liệu", "missing data"))[i] for f in d[side].get("flags", ())]
    return d


@router.get(PREFIX + "/duplicates/{candidate_id}")
def candidate_page(request: Request, candidate_id: int, user: ViewerUser) -> Response:
    db = get_db(request)
    with db.snapshot() as conn:
        if not decisions.ready(conn):
            raise ConsoleError(404, "dup.unavailable")
        d = _call(dedup_review.candidate_detail, conn, candidate_id)
        names = {f"user:{uid}": name for uid, name in users.full_names(conn).items()}
    return render(request, "duplicate.html", d=_labelled(d, names, get_lang(request)),
                  total_weight=round(sum(f["weight"] for f in d["fields"]), 2),
                  active_links=[lk for lk in d["links"] if not lk["undone_at"]])


@router.post(PREFIX + "/duplicates/{candidate_id}/decide")
async def decide(request: Request, candidate_id: int, user: OfficerPost) -> Response:
    form = await form_data(request)
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "")[:2000]
    _call(decisions.decide, get_db(request), candidate_id, decision, f"user:{user.id}", get_now(request), note)
    return redirect(f"{PREFIX}/duplicates/{candidate_id}", "dup.decided")


@router.post(PREFIX + "/duplicates/links/{link_id}/undo")
async def undo(request: Request, link_id: int, user: OfficerPost) -> Response:
    form = await form_data(request)
    reason = str(form.get("reason") or "")[:2000]
    _, cand = _call(decisions.undo, get_db(request), link_id, f"user:{user.id}", get_now(request), reason)
    return redirect(f"{PREFIX}/duplicates/{cand}" if cand is not None else f"{PREFIX}/duplicates", "dup.undone")

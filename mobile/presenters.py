"""Screen logic in plain Python: no Kivy, testable without a window.

Each presenter holds the state its screen shows and calls ``changed()``
listeners after every change; the screen (``mobile/screens.py``) copies that
state into widgets. Presenters never touch widgets; screens never touch the
store.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from shared import identity, wire
from shared.classify import CLASS_LABELS, vnd
from shared.dates import age_on, parse_date
from shared.forms import Field

from . import clock as vnclock
from . import qrscan
from . import store as st
from .collect import Collection, FieldProblem, summary_columns
from .evidence import GpsProvider
from .i18n import label, tr
from .inputs import format_value
from .store import LocalStore, StoreError
from .sync import SyncClient, SyncError, SyncWorker, normalize_server_url

log = logging.getLogger("rasoat.tablet.presenters")

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]


def run_inline(fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """Runner for tests: call now, deliver now (the app runs ``fn`` in a thread)."""
    try:
        out = fn()
    except Exception as exc:       # delivered like a result; the presenter decides
        out = exc
    done(out)


class Presenter:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []
        self.lang = "vi"

    def bind(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def changed(self) -> None:
        for fn in list(self._listeners):
            fn()

    def t(self, key: str, **kw: Any) -> str:
        return tr(key, self.lang, **kw)


# --- enroll ------------------------------------------------------------------------------------

class EnrollPresenter(Presenter):
    def __init__(self, store: LocalStore, run_async: Runner = run_inline,
                 client_factory: Callable[[str], SyncClient] = SyncClient,
                 on_enrolled: Callable[[], None] = lambda: None):
        super().__init__()
        self.store, self.run_async, self.client_factory = store, run_async, client_factory
        self.on_enrolled = on_enrolled
        self.server_url = store.get("server_url") or ""
        self.busy = False
        self.error_vi = ""
        self.message = ""
        self.fill: tuple[str, str] | None = None     # (server, code) read from a QR code, for the screen's boxes

    # QR scan ------------------------------------------------------------------------------------

    def scan_refusal(self, camera_present: bool, decoder_present: bool) -> str | None:
        """Why the QR scan cannot start on this device (shown instead; typing still works), or None."""
        if not camera_present:
            return self.t("enroll.no_camera")
        if not decoder_present:
            return qrscan.DecoderMissing().message(self.lang)
        return None

    def show_error(self, text: str) -> None:
        self.error_vi, self.message = text, ""
        self.changed()

    def scanned(self, server_url: str, code: str) -> None:
        """A QR code was read: the screen fills its boxes; the collaborator checks and taps Enroll."""
        self.fill = (server_url, code)
        self.server_url = server_url
        self.error_vi, self.message = "", self.t("scan.done", server=server_url)
        self.changed()

    @property
    def enrolled(self) -> bool:
        return bool(self.store.get("token")) and not self.store.get("auth_error")

    def submit(self, server_url: str, code: str, device_name: str = "") -> None:
        code = (code or "").strip()
        parsed = wire.parse_enroll_uri(code) if code.startswith("rasoat://") else None
        if parsed:                                  # a QR text pasted or scanned into the code box
            server_url, code = parsed
        server_url = normalize_server_url(server_url)
        if not server_url:
            self.error_vi = self.t("enroll.need_server")
        elif not wire.normalize_enrollment_code(code):
            self.error_vi = self.t("enroll.need_code")
        else:
            self.error_vi = ""
        if self.error_vi:
            self.changed()
            return
        self.server_url, self.busy, self.message = server_url, True, self.t("enroll.busy")
        self.changed()
        name = device_name.strip() or f"Tablet {socket.gethostname()}"[:80]
        self.run_async(lambda: self.client_factory(server_url).enroll(code, name), self._done)

    def _done(self, out: Any) -> None:
        self.busy, self.message = False, ""
        if isinstance(out, SyncError):
            self.error_vi = out.message_vi
        elif isinstance(out, Exception):
            self.error_vi = f"Lỗi: {out}"
        else:
            try:
                self.store.set(server_url=self.server_url, token=out["token"], device_id=out["device_id"],
                               collaborator=out.get("collaborator") or {}, auth_error=None, cursor=0,
                               enrolled_at=st.now_iso())
                for g in out.get("groups") or []:
                    if isinstance(g, dict) and g.get("code"):
                        self.store.upsert_group(g["code"], g.get("name") or g["code"],
                                                {k: g[k] for k in ("province_code", "ward_code", "area_type")
                                                 if g.get(k)})
            except StoreError as exc:
                self.error_vi = exc.message_vi
                self.changed()
                return
            self.error_vi = ""
            self.changed()
            self.on_enrolled()
            return
        self.changed()


class ScanPresenter(Presenter):
    """The QR scan view: camera frames in, ``(server_url, code)`` out.

    One frame is decoded at a time, off the UI thread (``run_async``); frames arriving meanwhile
    are dropped. A QR code that is not an enrollment code is named on screen and scanning goes
    on; a missing decoder stops the scan with its message.
    """

    def __init__(self, run_async: Runner = run_inline,
                 decode: Callable[..., str | None] = qrscan.decode_frame,
                 on_result: Callable[[str, str], None] = lambda server, code: None):
        super().__init__()
        self.run_async, self.decode, self.on_result = run_async, decode, on_result
        self.active = False
        self.busy = False
        self.frames = 0
        self.error: qrscan.QrError | None = None
        self.result: tuple[str, str] | None = None

    @property
    def message(self) -> str:
        return self.t("scan.aim") if self.active else ""

    @property
    def error_vi(self) -> str:
        """The current error in the UI language (Vietnamese unless switched)."""
        return self.error.message(self.lang) if self.error else ""

    def start(self) -> None:
        self.active, self.busy, self.frames, self.result, self.error = True, False, 0, None, None
        self.changed()

    def stop(self) -> None:
        self.active = False

    def feed(self, frame: tuple[Any, ...] | None) -> None:
        """One camera frame ``(pixels, width, height, fmt, bottom_up)``; None while the camera warms up."""
        if not self.active or self.busy or frame is None:
            return
        self.busy = True
        self.frames += 1
        self.run_async(lambda: self.decode(*frame), self._decoded)

    def _decoded(self, out: Any) -> None:
        self.busy = False
        if not self.active:
            return
        if isinstance(out, qrscan.DecoderMissing):
            self.active, self.error = False, out
            self.changed()
            return
        if isinstance(out, Exception):           # an odd frame: the next one may do
            log.warning("QR frame not decoded: %s", out)
            return
        if not out:
            return
        try:
            server, code = qrscan.parse_enrollment_payload(out)
        except qrscan.QrError as exc:
            if self.error is None or exc.message_vi != self.error.message_vi:
                self.error = exc
                self.changed()
            return
        self.active, self.result, self.error = False, (server, code), None
        self.changed()
        self.on_result(server, code)


# --- household list ----------------------------------------------------------------------------

def sync_state_text(entry: dict[str, Any] | None, lang: str = "vi") -> str:
    """Where a household's latest submission is, in words a collaborator reads ('' without one)."""
    if not entry:
        return ""
    state, attempts = entry.get("state"), entry.get("attempts") or 0
    if state == st.OB_DELIVERED:
        receipt = entry.get("receipt") or {}
        return tr("sync.state_received", lang, at=vnclock.vn_text(entry.get("delivered_at")),
                  rev=receipt.get("server_revision") or "?")
    if state == st.OB_REJECTED:
        return entry.get("last_error_vi") or tr("sync.state_rejected", lang)
    if state == st.OB_FAILED or (state == st.OB_QUEUED and attempts):
        return tr("sync.state_failed", lang, n=attempts, why=entry.get("last_error_vi") or "")
    if state == st.OB_QUEUED:
        return tr("sync.state_queued", lang)
    return ""



STATUS_ORDER = (st.NOT_STARTED, st.DRAFT, st.READY, st.WAITING, st.SYNCED, st.RETURNED)


class HouseholdListPresenter(Presenter):
    """All rows in memory (5,000 is ~2 MB); filtering is a scan over precomputed folded keys.

    ``rows`` hold what filtering needs plus ``view``: the display-ready item the RecycleView
    gets (strings joined once per load, not per redraw). ``visible`` is a list of those view
    items, and the same list object while a new query or filter does not change the result,
    so the screen can skip the redraw.
    """

    def __init__(self, store: LocalStore):
        super().__init__()
        self.store = store
        self.rows: list[dict[str, Any]] = []
        self.query = ""
        self.status: str | None = None
        self.group: str | None = None
        self.visible: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self._last: tuple[str, str | None, str | None, list[dict[str, Any]]] | None = None
        self._counts_for: object = None

    def reload(self) -> None:
        self.groups = self.store.groups()
        self._outbox = self.store.latest_outbox()
        self.rows = [self._row(r) for r in self.store.household_rows()]
        self._last = None
        self._counts_for = None
        self.visible = []
        self.apply()

    def _row(self, r: dict[str, Any]) -> dict[str, Any]:
        name = r["head_name"] or self.t("list.no_name")
        reason = r.get("return_reason") or ""
        note = self.t("list.returned", reason=reason) if r["status"] == st.RETURNED and reason else (
            r.get("server_note") or "")
        subtitle = " · ".join(x for x in (r["address"], r["group_code"],
                                          self.t("list.members", n=r["member_count"] or 0)) if x)
        sync = sync_state_text(getattr(self, "_outbox", {}).get(r["household_id"]), self.lang)
        if sync and r["status"] in (st.WAITING, st.SYNCED):
            note = " · ".join(x for x in (sync, note) if x)
        view = {"household_id": r["household_id"], "title": name,
                "detail": f"{subtitle}   {note}" if note else subtitle,
                "status": r["status"], "status_text": self.t(f"status.{r['status']}")}
        return {"household_id": r["household_id"], "status": r["status"], "group_code": r["group_code"] or "",
                "search_key": r["search_key"] or "", "note": note, "view": view}

    def row(self, household_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["household_id"] == household_id), None)

    def set_query(self, text: str) -> None:
        self.query = text
        self.apply()

    def set_status(self, status: str | None) -> None:
        self.status = status or None
        self.apply()

    def set_group(self, code: str | None) -> None:
        self.group = code or None
        self.apply()

    def filter(self) -> list[dict[str, Any]]:
        """View items of the rows matching the search (every word, diacritics and case ignored),
        status and group. Typing on (the folded query extends the last one, same filters) only
        rescans the last result: a row matching the longer query matched the shorter one."""
        folded = identity.fold(self.query)
        tokens = folded.split()
        status, group = self.status, self.group
        last = self._last
        if last is not None and last[1] == status and last[2] == group and folded.startswith(last[0]):
            source = last[3]
        else:
            source = self.rows
            if status is not None or group is not None:
                source = [r for r in source if (status is None or r["status"] == status)
                          and (group is None or r["group_code"] == group)]
        if len(tokens) == 1:
            t = tokens[0]
            hits = [r for r in source if t in r["search_key"]]
        elif tokens:
            hits = [r for r in source if all(t in r["search_key"] for t in tokens)]
        else:
            hits = list(source)
        self._last = (folded, status, group, hits)
        return [r["view"] for r in hits]

    def apply(self) -> None:
        visible = self.filter()
        if visible != self.visible:          # identical items compare by identity: O(n) pointer checks
            self.visible = visible
        if self._counts_for != (self.group, len(self.rows)):
            counts = {s: 0 for s in STATUS_ORDER}
            for r in self.rows:
                if self.group is None or r["group_code"] == self.group:
                    counts[r["status"]] = counts.get(r["status"], 0) + 1
            self.counts = counts
            self._counts_for = (self.group, len(self.rows))
        self.changed()

    def count_text(self) -> str:
        return self.t("list.count", shown=len(self.visible), total=len(self.rows))

    # the banner after "finish": which household, and where its form is now --------------------

    notice_hid: str | None = None

    def notice(self) -> str:
        """'Đã hoàn thành hộ …' with its state: queued, sending failed (kept), received (receipt)."""
        hid = self.notice_hid
        h = self.store.household(hid) if hid else None
        if h is None:
            return ""
        name = " · ".join(x for x in (h.get("head_name") or self.t("list.no_name"), h.get("address")) if x)
        entry = self.store.latest_outbox().get(hid)
        return self.t("list.finished", name=name, state=sync_state_text(entry, self.lang) or self.t("sync.state_queued"))


# --- the household form ------------------------------------------------------------------------

@dataclass
class FieldState:
    """What one question row shows."""
    path: str
    field: Field
    label: str
    text: str                           # for typed fields
    value: Any                          # for taps
    choices: list[tuple[str, str]]      # (value, label)
    relevant: bool
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    required: bool = False


MEMBERS = "members"
STATUS_SECTION = "status"


class FormPresenter(Presenter):
    def __init__(self, collection: Collection, clock: Callable[[], float] = time.time,
                 gps: GpsProvider | None = None, post: Callable[[Callable[[], None]], None] = lambda fn: fn()):
        super().__init__()
        self.coll = collection
        self.clock = clock
        self.gps = gps or GpsProvider()
        self.post = post                 # runs a callback on the UI thread (GPS fixes arrive on another)
        self.gps_message = ""
        self.gps_busy = False
        self.hid: str | None = None
        self.section_index = 0
        self.member_index: int | None = None
        self.error_vi = ""              # storage or finalise errors, shown in a banner
        self.info = ""
        self.saved_at = ""
        self.on_finished: Callable[[], None] = lambda: None     # the app starts a sync
        self._problems: list[FieldProblem] = []
        self._all_problems: list[FieldProblem] = []
        # Calm forms: a question's messages show once it has been left (focus lost, a choice made)
        # or once "finish" was tapped; never on a section just opened.
        self.left: set[str] = set()
        self.show_all = False
        self.confirm_remove: int | None = None           # the member whose delete awaits "yes"

    # state ---------------------------------------------------------------------------------

    def open(self, hid: str) -> None:
        self.hid, self.section_index, self.member_index = hid, 0, None
        self.error_vi = self.info = ""
        h = self.record                  # the save time is this household's, never the previous one's
        self.saved_at = vnclock.vn_text(h.get("updated_at")) if h["status"] != st.NOT_STARTED else ""
        self.show_all, self.confirm_remove = False, None
        self.left = self._answered_paths(h)           # answered before (this or an earlier visit): left
        # A draft of a form version that does not ask what the round's standards need moves to one that does.
        upgraded = self.coll.upgrade_form(hid)
        if upgraded:
            self.info = (f"Phiếu đã chuyển sang phiên bản {upgraded} để hỏi thêm các câu mà chuẩn nghèo của đợt cần; "
                         "các câu đã trả lời được giữ nguyên.")
        # A preloaded household opens on its status (still here? moved, merged, split?); a new one on its area.
        ids = [s.id for s in self.form.sections]
        if not self.record.get("preloaded") and ids and ids[0] == STATUS_SECTION and len(ids) > 1:
            self.section_index = 1
        self._refresh()
        self.changed()

    @property
    def record(self) -> dict[str, Any]:
        return self.coll.household(self.hid)

    @property
    def form(self):
        h = self.record
        return self.coll.form(h["form_version"] or h["doc"].get("form_version"))

    def _refresh(self) -> None:
        self._all_problems = self.coll.problems(self.hid)
        self._problems = [p for p in self._all_problems if self._shown(p.path)]

    def _shown(self, path: str) -> bool:
        if self.show_all or path in self.left:
            return True
        return path == MEMBERS and MEMBERS in self.left

    @staticmethod
    def _answered_paths(h: dict[str, Any]) -> set[str]:
        """Paths holding an answer or kept text: questions already left once."""
        out = set((h.get("raw") or {}).keys())

        def walk(prefix: str, obj: Any) -> None:
            if isinstance(obj, dict):
                for k, v in obj.items():
                    walk(f"{prefix}.{k}" if prefix else k, v)
            elif obj not in (None, "") and prefix:
                out.add(prefix)
        doc = h.get("doc") or {}
        for k, v in doc.items():
            if k == MEMBERS and isinstance(v, list):
                for i, m in enumerate(v):
                    if isinstance(m, dict):
                        for name, value in m.items():
                            if value not in (None, ""):
                                out.add(f"{MEMBERS}[{i}].{name}")
            else:
                walk(k, v)
        return out

    def leave(self, path: str) -> None:
        """The collaborator left a question (focus moved away): its messages may show now."""
        if path in self.left or self.hid is None:
            return
        self.left.add(path)
        self._refresh()
        self.changed()

    def all_error_count(self) -> int:
        """Every error of the household, shown or not yet (finishing checks these)."""
        return sum(1 for p in self._all_problems if p.severity == "error")

    def sections(self) -> list[dict[str, Any]]:
        """Section buttons: label, how many errors each holds, and its confirmation (preloaded only:
        None = not asked, '' = not yet, 'unchanged' / 'changed')."""
        conf = self.coll.confirmations(self.hid)
        out = []
        for i, s in enumerate(self.form.sections):
            prefix = f"{MEMBERS}" if s.repeat else None
            n = 0
            for p in self._problems:
                if p.severity != "error":
                    continue
                if prefix and (p.path == MEMBERS or p.path.startswith(MEMBERS + "[")):
                    n += 1
                elif not prefix and any(p.path == f.name for f in s.fields):
                    n += 1
            out.append({"index": i, "id": s.id, "label": label(s.label, self.lang, s.id), "errors": n,
                        "current": i == self.section_index, "confirm": (conf[s.id] or "") if s.id in conf else None})
        return out

    # preloaded households: confirm or change each section (issue 7) -------------------------

    def confirm_state(self) -> str | None:
        """For the current section: None when no confirmation is asked, else '' (not yet),
        'unchanged' or 'changed'."""
        conf = self.coll.confirmations(self.hid)
        if self.section.id not in conf:
            return None
        return conf[self.section.id] or ""

    def confirm_text(self) -> str:
        state = self.confirm_state()
        if state is None:
            return ""
        return self.t(f"form.confirm_{state or 'needed'}")

    def confirm_unchanged(self) -> None:
        """The big 'Không thay đổi' button of a preloaded section."""
        try:
            self.coll.confirm_section(self.hid, self.section.id)
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self._refresh()
        self.changed()

    # lifecycle: moved away, dissolved, merged, split ---------------------------------------

    def set_lifecycle(self, event: str | None, related_household_id: str | None = None,
                      note: str | None = None) -> None:
        try:
            self.coll.set_lifecycle(self.hid, event, related_household_id, note)
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self._refresh()
        self.changed()

    def lifecycle(self) -> dict[str, Any]:
        lc = self.record["doc"].get("lifecycle")
        return lc if isinstance(lc, dict) else {}

    def split(self, member_indices: list[int]) -> str | None:
        """Members chosen from this household form a new one on this tablet; returns its id."""
        try:
            new = self.coll.split_household(self.hid, member_indices)
        except ValueError:
            self.error_vi = self.t("form.split_choose")
            self.changed()
            return None
        except StoreError as exc:
            self.error_vi = exc.message_vi
            self.changed()
            return None
        self.info = self.t("form.split_done", n=len(member_indices))
        self._refresh()
        self.changed()
        return new

    # evidence: GPS and photos (issue 9) -----------------------------------------------------

    def gps_text(self) -> str:
        g = self.record["doc"].get("gps")
        if isinstance(g, dict) and g.get("lat") is not None:
            acc = f" ±{g['accuracy_m']:g} m" if isinstance(g.get("accuracy_m"), (int, float)) else ""
            when = f" ({g['captured_at']})" if g.get("captured_at") else ""
            return f"{g['lat']:.6f}, {g['lon']:.6f}{acc}{when}"
        if not self.gps.available:
            return self.t("gps.unavailable")
        return self.t("gps.none")

    def request_gps(self) -> None:
        """Ask the device for one fix; never blocks (the form is saved whatever happens)."""
        if not self.gps.available:
            self.gps_message = self.t("gps.unavailable")
            self.changed()
            return
        self.gps_busy, self.gps_message = True, self.t("gps.waiting")
        self.changed()
        hid = self.hid

        def fix(g: dict[str, Any]) -> None:
            self.post(lambda: self._gps_done(hid, g, ""))

        def error(msg: str) -> None:
            self.post(lambda: self._gps_done(hid, None, msg))
        self.gps.request_fix(fix, error)

    def _gps_done(self, hid: str, fix: dict[str, Any] | None, message: str) -> None:
        self.gps_busy = False
        self.gps_message = message
        if fix is not None:
            try:
                self.coll.set_gps(hid, fix)
            except StoreError as exc:
                self.error_vi = exc.message_vi
        self._refresh()
        self.changed()

    def set_manual_gps(self, lat: str, lon: str, accuracy: str = "") -> bool:
        from .evidence import parse_manual_gps
        try:
            fix = parse_manual_gps(lat, lon, accuracy)
        except ValueError as exc:
            self.gps_message = str(exc)
            self.changed()
            return False
        self._gps_done(self.hid, fix, self.t("gps.manual_saved"))
        return True

    def photos(self) -> list[dict[str, Any]]:
        """The household's photos with the label of the question each documents."""
        form = self.form
        out = []
        for i, ph in enumerate(self.record["doc"].get("photos") or []):
            if not isinstance(ph, dict):
                continue
            q = ph.get("question") or ""
            try:
                qlabel = label(form.field(q).label, self.lang, q)
            except KeyError:
                qlabel = q
            local = self.coll.store.photo(ph.get("sha256") or "") or {}
            out.append({"index": i, "sha256": ph.get("sha256"), "question": q, "label": qlabel,
                        "path": local.get("path") or "", "uploaded": bool(local.get("uploaded_at")),
                        "error": local.get("last_error_vi") or ""})
        return out

    def photo_questions(self) -> list[tuple[str, str]]:
        from .evidence import PHOTO_QUESTIONS
        form = self.form
        out = []
        for q in PHOTO_QUESTIONS:
            try:
                out.append((q, label(form.field(q).label, self.lang, q)))
            except KeyError:
                continue
        return out

    def add_photo(self, question: str, source: Any) -> bool:
        """A picture from the camera or a file, resized on the device and tied to ``question``."""
        from .evidence import PhotoError
        if isinstance(source, str):
            source = source.strip().strip('"')
            if not source:
                self.error_vi = self.t("photo.need_file")
                self.changed()
                return False
        try:
            self.coll.attach_photo(self.hid, question, source)
        except PhotoError as exc:
            self.error_vi = exc.message_vi
            self.changed()
            return False
        except StoreError as exc:
            self.error_vi = exc.message_vi
            self.changed()
            return False
        self.error_vi, self.info = "", self.t("photo.added")
        self._refresh()
        self.changed()
        return True

    def remove_photo(self, index: int) -> None:
        try:
            self.coll.remove_photo(self.hid, index)
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self._refresh()
        self.changed()

    @property
    def section(self):
        return self.form.sections[self.section_index]

    def go_section(self, index: int) -> None:
        self.section_index = max(0, min(index, len(self.form.sections) - 1))
        self.member_index = None
        self.changed()

    def next_section(self) -> None:
        self.go_section(self.section_index + 1)

    def messages_for(self, path: str) -> tuple[list[str], list[str]]:
        key = "message_en" if self.lang == "en" else "message_vi"
        errs = [getattr(p, key) for p in self._problems if p.path == path and p.severity == "error"]
        warns = [getattr(p, key) for p in self._problems if p.path == path and p.severity != "error"]
        return errs, warns

    def fields(self) -> list[FieldState]:
        """The rows of the current section (or of the member being edited)."""
        h = self.record
        doc, raw = h["doc"], h["raw"] or {}
        s = self.section
        if s.repeat and self.member_index is None:
            return []
        out = []
        for f in s.fields:
            if f.name == "member_id":
                continue
            if s.repeat:
                path = f"{MEMBERS}[{self.member_index}].{f.name}"
                container = (doc.get(MEMBERS) or [{}])[self.member_index]
                value = container.get(f.name)
                relevant = self.coll.relevant(doc, f, self.member_index)
            else:
                path = f.name
                value = doc
                for part in f.parts:
                    value = value.get(part) if isinstance(value, dict) else None
                relevant = self.coll.relevant(doc, f)
            errs, warns = self.messages_for(path)
            text = raw.get(path) if path in raw else format_value(f, value)
            out.append(FieldState(path, f, label(f.label, self.lang, f.name), text, value,
                                  [(c.value, label(c.label, self.lang, c.value)) for c in f.choices],
                                  relevant, errs, warns, f.required))
        return out

    def states(self) -> dict[str, tuple[bool, list[str], list[str]]]:
        """path → (relevant, errors, warnings) for the rows on screen (cheap refresh after an answer)."""
        return {fs.path: (fs.relevant, fs.messages, fs.warnings) for fs in self.fields()}

    def answer(self, path: str, value: Any) -> bool:
        """Save one answer now. False (with ``error_vi``) when storage failed: keep it on screen."""
        try:
            self.coll.set_answer(self.hid, path, value)
        except StoreError as exc:
            self.error_vi = exc.message_vi
            self.changed()
            return False
        had_error = bool(self.error_vi)
        if not isinstance(value, str):            # a choice made: the question is answered and left
            self.left.add(path)
        self.error_vi = ""
        self.info = ""
        self.saved_at = vnclock.vn_hms(self.clock())       # Vietnam time, like every other time shown
        self._refresh()
        if had_error:
            self.changed()
        return True

    # members --------------------------------------------------------------------------------

    def members(self) -> list[dict[str, Any]]:
        doc = self.record["doc"]
        ref = parse_date(doc.get("collected_at")) or dt.date.today()
        relation = {c.value: label(c.label, self.lang, c.value)
                    for c in self.form.field("relation", MEMBERS).choices}
        out = []
        for i, m in enumerate(doc.get(MEMBERS) or []):
            try:
                age = age_on(m, ref)
            except (TypeError, ValueError):
                age = None
            errs = [p for p in self._problems if p.path.startswith(f"{MEMBERS}[{i}].") and p.severity == "error"]
            out.append({"index": i, "errors": len(errs), "text": self.t(
                "form.member_line", n=i + 1, name=m.get("full_name") or "…",
                relation=relation.get(m.get("relation"), "…"),
                age=self.t("form.age", age=age) if age is not None else self.t("form.age_unknown"))})
        return out

    def members_problems(self) -> list[str]:
        key = "message_en" if self.lang == "en" else "message_vi"
        return [getattr(p, key) for p in self._problems if p.path == MEMBERS and p.severity == "error"]

    def add_member(self) -> None:
        try:
            self.member_index = self.coll.add_member(self.hid)
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self._refresh()
        self.changed()

    def edit_member(self, index: int) -> None:
        self.member_index = index
        self.changed()

    def ask_remove_member(self, index: int) -> None:
        """'Xoá' asks first: the roster line turns into a question with 'Xoá hẳn' / 'Không xoá'."""
        self.confirm_remove = index
        self.changed()

    def cancel_remove_member(self) -> None:
        self.confirm_remove = None
        self.changed()

    def remove_member(self, index: int) -> None:
        """Delete, once confirmed. Kept on the tablet for 'Hoàn tác' (undo) until the household is finished."""
        self.confirm_remove = None
        try:
            removed = self.coll.remove_member(self.hid, index)
            if removed is not None:
                self._save_removed(self.removed_members() + [removed])
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self.member_index = None
        self.left.add(MEMBERS)
        self.left = {p for p in self.left if not p.startswith(f"{MEMBERS}[")} | {
            p for p in self._answered_paths(self.record) if p.startswith(f"{MEMBERS}[")}
        self._refresh()
        self.changed()

    def _removed_key(self) -> str:
        return f"removed_members:{self.hid}"

    def removed_members(self) -> list[dict[str, Any]]:
        """Members deleted from the open household since it was last finished (newest last)."""
        got = self.coll.store.get(self._removed_key()) if self.hid else None
        return list(got) if isinstance(got, list) else []

    def _save_removed(self, items: list[dict[str, Any]]) -> None:
        if items:
            self.coll.store.set(**{self._removed_key(): items})
        else:
            self.coll.store.delete_setting(self._removed_key())

    def removed_lines(self) -> list[dict[str, Any]]:
        return [{"k": k, "text": self.t("form.member_removed", name=r["member"].get("full_name") or "…")}
                for k, r in enumerate(self.removed_members())]

    def undo_remove(self, k: int) -> None:
        items = self.removed_members()
        if not 0 <= k < len(items):
            return
        try:
            self.coll.restore_member(self.hid, items.pop(k))
            self._save_removed(items)
        except StoreError as exc:
            self.error_vi = exc.message_vi
        self.left = {p for p in self.left if not p.startswith(f"{MEMBERS}[")} | self._answered_paths(self.record)
        self._refresh()
        self.changed()

    def member_done(self) -> None:
        self.member_index = None
        self.left.add(MEMBERS)
        self._refresh()
        self.changed()

    def member_title(self) -> str:
        if self.member_index is None:
            return ""
        m = (self.record["doc"].get(MEMBERS) or [{}])[self.member_index]
        return self.t("form.member_title", n=self.member_index + 1, name=m.get("full_name") or "…")

    # banners and finishing ------------------------------------------------------------------

    def title(self) -> str:
        h = self.record
        return " · ".join(x for x in (h["head_name"] or self.t("list.no_name"), h["address"], h["group_code"]) if x)

    def return_banner(self) -> str:
        h = self.record
        if h["status"] == st.RETURNED and h.get("return_reason"):
            return self.t("form.returned", reason=h["return_reason"])
        return ""

    def server_banner(self) -> str:
        h = self.record
        probs = h.get("server_problems") or []
        if probs:
            text = "; ".join(str(p.get("message_vi" if self.lang == "vi" else "message_en") or p.get("message_vi"))
                             for p in probs[:3] if isinstance(p, dict))
            return self.t("form.server_problems", text=text)
        return h.get("server_note") or ""

    def income_lines(self) -> list[str]:
        """The income section's running lines: income per person per month and each standard's line."""
        if self.hid is None or self.section.id != "income":
            return []
        area = {"urban": self.t("income.urban"), "rural": self.t("income.rural")}
        out = []
        for r in self.coll.income_preview(self.hid):
            name = label(r["label"], self.lang, r["standard_id"])
            if r["missing"]:
                out.append(self.t("income.missing_" + r["missing"], std=name))
                continue
            mark = {"U": self.t("income.mark_u"), "S": self.t("income.mark_s")}.get(r["mark"], "")
            if r["b1_score"] is not None:
                text = self.t("income.b1", std=name, score=f"{r['b1_score']:g}".replace(".", ","),
                              cut=f"{r['b1_cutoff']:g}".replace(".", ","),
                              cmp=self.t("income.b1_below" if r["below"] else "income.b1_above"))
            else:
                text = self.t("income.line", std=name, per=vnd(r["per_person_month"]), area=area[r["area_type"]],
                              line=vnd(r["line"]), cmp=self.t("income.below" if r["below"] else "income.above"))
            out.append(text + mark)
        return out

    def error_count(self) -> int:
        return sum(1 for p in self._problems if p.severity == "error")

    def finish(self) -> bool:
        self.show_all = True                       # "finish" tapped: every message shows now
        self._refresh()
        n = self.error_count()
        if n:
            self.error_vi = self.t("form.errors_left", n=n)
            self.changed()
            return False
        try:
            self.coll.finalise(self.hid)
            self._save_removed([])                  # finished: deleted members can no longer be undone
        except StoreError as exc:
            self.error_vi = exc.message_vi
            self.changed()
            return False
        self.error_vi, self.info = "", self.t("form.queued")
        self.changed()
        self.on_finished()
        return True


# --- summary -----------------------------------------------------------------------------------

# Each indicator: a shape and a word (never "[ ]"/"[X]"); the colour is the screen's.
INDICATOR_ICON = {True: "\u2718", False: "\u2714", None: "?"}          # ✘ deprived, ✔ not deprived, ? unknown
INDICATOR_WORD = {True: "summary.ind_deprived", False: "summary.ind_ok", None: "summary.ind_unknown"}


class SummaryPresenter(Presenter):
    def __init__(self, collection: Collection):
        super().__init__()
        self.coll = collection
        self.hid: str | None = None
        self.cards: list[dict[str, Any]] = []
        self.note = ""
        self.missing: list[str] = []

    def open(self, hid: str) -> None:
        self.hid = hid
        self.refresh()

    def refresh(self) -> None:
        results, self.note = self.coll.classification(self.hid)
        en = self.lang == "en"
        self.cards = []
        for r in results:
            cls_vi, cls_en = CLASS_LABELS[r["class"]]
            inc = r.get("income") or {}
            if inc.get("method") == "declared_income":
                income = self.t("summary.income", per=vnd(inc["per_person_month"]), line=vnd(inc["line"]))
            else:
                income = ""
            indicators = [{"label": i["label_en" if en else "label_vi"], "deprived": i["deprived"],
                           "reason": i["reason_en" if en else "reason_vi"], "key": i.get("key") or "",
                           "icon": INDICATOR_ICON[i["deprived"]],
                           "word": self.t(INDICATOR_WORD[i["deprived"]]),
                           "mark": self.t(f"summary.mark_{i['mark']}") if i.get("mark") in ("S", "U") else ""}
                          for i in r.get("indicators") or []]
            name = r.get("standard_name") or {}
            self.cards.append({"standard_id": r["standard_id"], "class": r["class"],
                               "class_label": cls_en if en else cls_vi,
                               "class_line": self.t("summary.class_under",
                                                    std=name.get("en" if en else "vi") or name.get("vi") or r["standard_id"],
                                                    cls=cls_en if en else cls_vi),
                               "standard_label": name.get("en" if en else "vi") or name.get("vi") or r["standard_id"],
                               "total": r.get("indicator_total") or len(r.get("indicators") or []),
                               "draft": r.get("standard_status") == "draft",
                               "explanation": r["explanation_en" if en else "explanation_vi"],
                               "income": income, "deprived": r.get("deprivation_count", 0),
                               "indicators": indicators})
        key = "message_en" if en else "message_vi"
        form = self.coll.form(self.coll.household(self.hid)["doc"].get("form_version"))
        labels = {f.name: label(f.label, self.lang, f.name) for f in form.fields()}
        self.missing = []
        for p in self.coll.problems(self.hid):
            if p.severity != "error":
                continue
            m = re.match(r"^members\[(\d+)\]\.", p.path)
            where = f"#{int(m[1]) + 1}: " if m else ""
            self.missing.append(where + getattr(p, key))
        del labels
        self.changed()


# --- sync --------------------------------------------------------------------------------------

class SyncPresenter(Presenter):
    def __init__(self, store: LocalStore, worker: SyncWorker | None):
        super().__init__()
        self.store, self.worker = store, worker
        self.progress: dict[str, Any] = {"phase": "idle", "total": 0, "done": 0, "results": []}
        self.message = ""
        self.counts: dict[str, int] = {}
        self.last_ok = ""
        self.listeners_after: list[Callable[[dict[str, Any]], None]] = []
        self.device_offset: Callable[[], int] = vnclock.device_offset_s
        self.refresh()

    def refresh(self) -> None:
        self.counts = self.store.outbox_counts()
        self.last_ok = self.store.get("last_sync_ok_at") or ""
        if not self.message:
            err = self.store.get("last_sync_error")
            self.message = err.get("message_vi", "") if isinstance(err, dict) else ""
        self.changed()

    @property
    def running(self) -> bool:
        return self.progress.get("phase") in ("push", "pull")

    def cancel(self) -> None:
        """'Dừng': the run stops after the step in flight; what is not sent stays queued."""
        if self.worker is not None and self.running:
            self.worker.cancel()
            self.message = self.t("sync.cancelling")
            self.changed()

    def progress_line(self, now: float | None = None) -> str:
        """Records n of N, photos and their bytes, and the time taken, while a run goes or after it."""
        p = self.progress
        if not p.get("started_at"):
            return ""
        parts = [self.t("sync.records", done=p.get("done", 0), total=p.get("total", 0))]
        if p.get("photos_total"):
            parts.append(self.t("sync.photos", done=p.get("photos_sent", 0), total=p["photos_total"],
                                sent=human_bytes(p.get("photo_bytes", 0)),
                                size=human_bytes(p.get("photo_bytes_total", 0))))
        end = p.get("finished_at") or (now if now is not None else time.time())
        secs = max(0, int(end - p["started_at"]))
        parts.append(self.t("sync.elapsed", t=f"{secs // 60}:{secs % 60:02d}"))
        return " · ".join(parts)

    def fraction(self) -> float:
        p = self.progress
        if p.get("phase") == "done":
            return 1.0
        total = p.get("total") or 0
        size = p.get("photo_bytes_total") or 0
        if size:                       # photos go first: they fill the bar's first part by their bytes
            photos = min(1.0, (p.get("photo_bytes") or 0) / size)
            return (photos + (p.get("done", 0) / total if total else 0.0)) / (2 if total else 1)
        return (p.get("done", 0) / total) if total else (0.5 if self.running else 0.0)

    def retry(self) -> None:
        if self.worker is not None:
            self.progress = {"phase": "push", "total": 0, "done": 0, "results": []}
            self.message = self.t("sync.running")
            self.changed()
            self.worker.request(manual=True)

    def on_progress(self, event: dict[str, Any]) -> None:
        """Called on the UI thread with each worker report."""
        self.progress = event
        self.message = event.get("message_vi") or ""
        if event.get("phase") == "cancelled":
            self.message = event.get("message_vi") or self.t("sync.cancelled")
        self.refresh()
        for fn in self.listeners_after:
            fn(event)

    def pending_rows(self) -> list[dict[str, Any]]:
        """Per-record lines: every undelivered or refused submission with its error in plain Vietnamese."""
        rows = []
        for e in self.store.outbox():
            if e["state"] in (st.OB_QUEUED, st.OB_FAILED, st.OB_REJECTED):
                h = self.store.household(e["household_id"]) or {}
                name = h.get("head_name") or self.t("list.no_name")
                msg = e.get("last_error_vi") or self.t("status.waiting")
                rows.append({"text": f"{name} · {h.get('address') or ''} — {msg}", "state": e["state"],
                             "attempts": e["attempts"] or 0})
        for r in self.progress.get("results") or []:
            if r.get("state") == st.OB_DELIVERED:
                rows.append({"text": f"{r.get('head_name') or ''} · {r.get('address') or ''} — {r['message_vi']}",
                             "state": st.OB_DELIVERED, "attempts": 0})
        return rows

    def summary_line(self) -> str:
        pending = self.counts.get(st.OB_QUEUED, 0) + self.counts.get(st.OB_FAILED, 0)
        return "   ".join([self.t("sync.pending", n=pending),
                           self.t("sync.sent", n=self.counts.get(st.OB_DELIVERED, 0)),
                           self.t("sync.failed", n=self.counts.get(st.OB_FAILED, 0)),
                           self.t("sync.rejected", n=self.counts.get(st.OB_REJECTED, 0))])

    def last_ok_line(self) -> str:
        if not self.last_ok:
            return self.t("sync.last_ok", at=self.t("sync.never"))
        return self.t("sync.last_ok_vn", at=vnclock.vn_text(self.last_ok))

    def clock_note(self) -> str:
        """Where the device clock is not on Vietnam time, say which zone the times are in."""
        return vnclock.device_clock_note(self.lang, self.device_offset)


def human_bytes(n: int | float) -> str:
    """1.234.567 → '1,2 MB' (decimal comma); small sizes in kB."""
    n = float(n or 0)
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB".replace(".", ",")
    if n >= 1000:
        return f"{n / 1000:.0f} kB"
    return f"{int(n)} B"


__all__ = ["EnrollPresenter", "ScanPresenter", "HouseholdListPresenter", "FormPresenter", "SummaryPresenter", "SyncPresenter",
           "run_inline", "summary_columns"]

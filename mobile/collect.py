"""Collecting households on the tablet: the rules of a local record, over ``LocalStore``.

Plain Python (no Kivy). Validation, relevance, classification and name folding
come from ``shared``; this module only decides what is stored when, and the
record's lifecycle:

    not_started ─answer→ draft ⇄ ready ─finalise→ waiting ─receipt→ synced
                                  ↑                  │rejected          │edit / officer returns
                                  └──────────────────┴──────────────────┘ (returned until resent)

- Every answer is written to the store the moment it is entered (one transaction).
- Text that does not parse yet (letters in a number, 31/02) is kept in ``raw``
  and reported; it is never dropped.
- Finalising puts a submission in the outbox. An edit of a household whose
  submission was never attempted supersedes it; once attempted, a submission
  is frozen and a later edit makes a new one (new id, revision + 1; its
  base_revision is fixed when it is first sent, from the last receipt).
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shared import identity
from shared.classify import classify_all
from shared.dates import parse_date
from shared.rounds import RoundDef, misfit_message, missing_questions, round_from_wire, round_standards
from shared.standards import Standard, coverage_notes, load_standards, standard_from_dict
from shared.forms import CURRENT_FORM_VERSION, Field, Form, available_versions, form_from_dict, load_form
from shared.validation import ERROR, Problem, is_relevant, reference_date, validate

from . import store as st
from .inputs import InputProblem, parse_text
from .store import LocalStore, StoreError

log = logging.getLogger("rasoat.tablet")
_INDEX = re.compile(r"^members\[(\d+)\]\.(.+)$")


def _version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", v))


@lru_cache(maxsize=32)
def _form_from_text(text: str) -> Form:
    import json
    return form_from_dict(json.loads(text))


@dataclass
class FieldProblem:
    path: str
    message_vi: str
    message_en: str
    severity: str = ERROR


class Collection:
    """The households of this tablet and their forms."""

    def __init__(self, store: LocalStore, today: callable = dt.date.today, now: callable = st.now_iso):
        self.store = store
        self.today = today
        self.now = now

    # --- forms ---------------------------------------------------------------------------------

    def form(self, version: str | None = None) -> Form:
        """A form version: received by sync, else bundled with the app."""
        version = version or self.latest_form_version()
        import json
        received = self.store.form_definitions()
        if version in received:
            return _form_from_text(json.dumps(received[version], sort_keys=True, ensure_ascii=False))
        return load_form(version)

    def latest_form_version(self) -> str:
        versions = set(available_versions()) | set(self.store.form_definitions())
        return max(versions, key=_version_key) if versions else CURRENT_FORM_VERSION

    # --- households ----------------------------------------------------------------------------

    def new_household(self, group_code: str) -> str:
        group = next((g for g in self.store.groups() if g["code"] == group_code), {"code": group_code})
        hid = str(uuid.uuid4())
        area = {"group_code": group_code}
        for key in ("province_code", "ward_code", "area_type"):
            if group.get(key):
                area[key] = group[key]
        doc = {"household_id": hid, "form_version": self.latest_form_version(), "collected_at": self.now(),
               "area": area, "members": []}
        self.store.save_household(hid, group_code=group_code, status=st.NOT_STARTED, doc=doc, raw={},
                                  form_version=doc["form_version"], head_name="", address="", member_count=0,
                                  search_key="", revision=0, preloaded=0)
        return hid

    def household(self, hid: str) -> dict[str, Any]:
        h = self.store.household(hid)
        if h is None:
            raise KeyError(hid)
        return h

    def _start_if_preloaded(self, h: dict[str, Any]) -> None:
        """A household preloaded from the last round starts this round's review on its first edit."""
        if h["status"] == st.NOT_STARTED and h.get("preloaded"):
            doc = h["doc"]
            doc["collected_at"] = self.now()
            doc["form_version"] = self.latest_form_version()
            h["form_version"] = doc["form_version"]

    def set_answer(self, hid: str, path: str, text_or_value: Any) -> list[FieldProblem]:
        """Save one answer now. Text is parsed by the field's type; unparseable text is kept raw.

        ``path`` is a form field name (``area.area_type``) or a member field
        (``members[2].birth_date``). Returns the problems of that path.
        Raises StoreError (e.g. full disk): the caller keeps the text on screen.
        """
        h = self.household(hid)
        self._start_if_preloaded(h)
        doc, raw = h["doc"], dict(h["raw"] or {})
        form = self.form(h["form_version"] or doc.get("form_version"))
        field, container, key = self._locate(form, doc, path)
        self._mark_changed(form, doc, path)
        parse_problem = None
        if isinstance(text_or_value, str) and field.type in ("text", "integer", "decimal", "date"):
            try:
                value = parse_text(field, text_or_value)
                raw.pop(path, None)
            except InputProblem as exc:
                value, parse_problem = None, exc
                raw[path] = text_or_value
        else:
            value = text_or_value
            raw.pop(path, None)
        if value is None or value == []:
            if field.type == "select_multiple" and value == []:
                container[key] = []
            else:
                container.pop(key, None)
        else:
            container[key] = value
        self._save_edit(h, doc, raw)
        if parse_problem is not None:
            return [FieldProblem(path, parse_problem.message_vi, parse_problem.message_en)]
        return [p for p in self.problems(hid, doc=doc, raw=raw) if p.path == path]

    def _locate(self, form: Form, doc: dict[str, Any], path: str) -> tuple[Field, dict[str, Any], str]:
        m = _INDEX.match(path)
        if m:
            i, name = int(m[1]), m[2]
            members = doc.setdefault("members", [])
            if not 0 <= i < len(members):
                raise KeyError(path)
            return form.field(name, "members"), members[i], name
        field = form.field(path)
        parts = field.parts
        container = doc
        for part in parts[:-1]:
            nxt = container.get(part)
            if not isinstance(nxt, dict):
                nxt = container[part] = {}
            container = nxt
        return field, container, parts[-1]

    def add_member(self, hid: str) -> int:
        h = self.household(hid)
        self._start_if_preloaded(h)
        members = h["doc"].setdefault("members", [])
        self._mark_changed(self.form(h["form_version"] or h["doc"].get("form_version")), h["doc"], "members[0]")
        m: dict[str, Any] = {"member_id": str(uuid.uuid4())}
        if not any(x.get("relation") == "head" for x in members):
            m["relation"] = "head"
        members.append(m)
        self._save_edit(h, h["doc"], h["raw"] or {})
        return len(members) - 1

    def remove_member(self, hid: str, index: int) -> dict[str, Any] | None:
        """Remove member ``index``; returns what ``restore_member`` needs to undo it (None: no such member)."""
        h = self.household(hid)
        members = h["doc"].get("members", [])
        if not 0 <= index < len(members):
            return None
        member = members.pop(index)
        self._mark_changed(self.form(h["form_version"] or h["doc"].get("form_version")), h["doc"], "members[0]")
        raw, kept = {}, {}
        for k, v in (h["raw"] or {}).items():     # shift raw answers of later members
            m = _INDEX.match(k)
            if m and int(m[1]) == index:
                kept[m[2]] = v
                continue
            if m and int(m[1]) > index:
                k = f"members[{int(m[1]) - 1}].{m[2]}"
            raw[k] = v
        self._save_edit(h, h["doc"], raw)
        return {"index": index, "member": member, "raw": kept}

    def restore_member(self, hid: str, removed: dict[str, Any]) -> int:
        """Undo ``remove_member``: the member back at its place (or last), with its kept text."""
        h = self.household(hid)
        self._start_if_preloaded(h)
        members = h["doc"].setdefault("members", [])
        index = max(0, min(int(removed.get("index", len(members))), len(members)))
        members.insert(index, copy.deepcopy(removed["member"]))
        self._mark_changed(self.form(h["form_version"] or h["doc"].get("form_version")), h["doc"], "members[0]")
        raw = {}
        for k, v in (h["raw"] or {}).items():     # later members move one place down again
            m = _INDEX.match(k)
            if m and int(m[1]) >= index:
                k = f"members[{int(m[1]) + 1}].{m[2]}"
            raw[k] = v
        for name, v in (removed.get("raw") or {}).items():
            raw[f"members[{index}].{name}"] = v
        self._save_edit(h, h["doc"], raw)
        return index

    # --- preloaded households: confirm or change each section (issue 7) ----------------------

    @staticmethod
    def section_of(form: Form, path: str) -> str | None:
        """The id of the section holding ``path`` (``members[2].sex`` → the roster section)."""
        for s in form.sections:
            if s.repeat and (path == s.repeat or path.startswith(s.repeat + "[")):
                return s.id
            if not s.repeat and any(f.name == path for f in s.fields):
                return s.id
        return None

    def _mark_changed(self, form: Form, doc: dict[str, Any], path: str) -> None:
        """Editing an answer of a preloaded household marks its section 'changed' (in ``confirmations``)."""
        if not doc.get("preloaded_from"):
            return
        sid = self.section_of(form, path)
        if sid in form.confirm_sections:
            doc.setdefault("confirmations", {})[sid] = "changed"

    def confirm_section(self, hid: str, section_id: str) -> None:
        """'Không thay đổi': last review's answers of this section still hold."""
        h = self.household(hid)
        self._start_if_preloaded(h)
        form = self.form(h["form_version"] or h["doc"].get("form_version"))
        if section_id not in form.confirm_sections:
            raise KeyError(section_id)
        conf = h["doc"].setdefault("confirmations", {})
        if conf.get(section_id) != "changed":       # an edit already made stays 'changed'
            conf[section_id] = "unchanged"
        self._save_edit(h, h["doc"], h["raw"] or {})

    def confirmations(self, hid: str) -> dict[str, str | None]:
        """Section id → 'unchanged' / 'changed' / None for every section that must be confirmed
        (empty when the household was not preloaded)."""
        h = self.household(hid)
        doc = h["doc"]
        if not doc.get("preloaded_from"):
            return {}
        form = self.form(h["form_version"] or doc.get("form_version"))
        conf = doc.get("confirmations") if isinstance(doc.get("confirmations"), dict) else {}
        return {sid: conf.get(sid) for sid in form.confirm_sections}

    # --- lifecycle: moved away, dissolved, merged, split -------------------------------------

    def set_lifecycle(self, hid: str, event: str | None, related_household_id: str | None = None,
                      note: str | None = None) -> None:
        """Record what happened to the household (None clears it)."""
        h = self.household(hid)
        self._start_if_preloaded(h)
        doc = h["doc"]
        if not event:
            doc.pop("lifecycle", None)
        else:
            lc: dict[str, Any] = {"event": event}
            if related_household_id:
                lc["related_household_id"] = related_household_id
            if note:
                lc["note"] = note
            doc["lifecycle"] = lc
        self._save_edit(h, doc, h["raw"] or {})

    def split_household(self, parent_hid: str, member_indices: list[int], note: str | None = None) -> str:
        """Members leave ``parent_hid`` to form a NEW household on this tablet.

        The new household has lifecycle ``split_from`` the parent, the parent's area and address,
        and the chosen members (the first becomes head unless one already is). The members are
        removed from the parent, whose lifecycle becomes ``split`` (related: the new household).
        """
        parent = self.household(parent_hid)
        self._start_if_preloaded(parent)
        pdoc = parent["doc"]
        members = [m for m in pdoc.get("members") or [] if isinstance(m, dict)]
        chosen = sorted({i for i in member_indices if 0 <= i < len(members)})
        if not chosen:
            raise ValueError("choose at least one member")
        if len(chosen) == len(members):
            raise ValueError("the parent household keeps at least one member")
        hid = str(uuid.uuid4())
        moving = [copy.deepcopy(members[i]) for i in chosen]
        if not any(m.get("relation") == "head" for m in moving):
            moving[0]["relation"] = "head"
        version = self.latest_form_version()
        doc: dict[str, Any] = {"household_id": hid, "form_version": version, "collected_at": self.now(),
                               "area": copy.deepcopy(pdoc.get("area") or {}), "members": moving,
                               "lifecycle": {"event": "split_from", "related_household_id": parent_hid}}
        if isinstance(pdoc.get("address"), dict):
            doc["address"] = copy.deepcopy(pdoc["address"])
        if note:
            doc["lifecycle"]["note"] = note
        staying = [m for i, m in enumerate(members) if i not in chosen]
        if not any(m.get("relation") == "head" for m in staying):
            staying[0]["relation"] = "head"     # the collaborator checks it: the roster is marked changed
        pdoc["members"] = staying
        pdoc["lifecycle"] = {"event": "split", "related_household_id": hid}
        form = self.form(parent["form_version"] or pdoc.get("form_version"))
        self._mark_changed(form, pdoc, "members[0]")
        group = parent["group_code"] or (doc["area"].get("group_code") or "")
        errors = self._has_errors(doc, {}, version)
        with self.store.tx() as c:
            self.store.save_household(hid, conn=c, group_code=group, status=st.DRAFT if errors else st.READY,
                                      doc=doc, raw={}, form_version=version, revision=0, preloaded=0,
                                      **summary_columns(doc))
        self._save_edit(parent, pdoc, {k: v for k, v in (parent["raw"] or {}).items() if not _INDEX.match(k)})
        return hid

    # --- evidence: GPS and photos (issue 9) ---------------------------------------------------

    def set_gps(self, hid: str, gps: dict[str, Any] | None) -> None:
        """Store a GPS fix ({lat, lon, accuracy_m?, captured_at?, altitude_m?}); None clears it."""
        h = self.household(hid)
        self._start_if_preloaded(h)
        if gps:
            h["doc"]["gps"] = {k: v for k, v in gps.items()
                               if k in ("lat", "lon", "accuracy_m", "captured_at", "altitude_m") and v is not None}
        else:
            h["doc"].pop("gps", None)
        self._save_edit(h, h["doc"], h["raw"] or {})

    def add_photo(self, hid: str, question: str, photo: dict[str, Any]) -> None:
        """Attach a stored photo (``evidence.store_photo``'s record) to the question it documents."""
        h = self.household(hid)
        self._start_if_preloaded(h)
        photos = [p for p in h["doc"].get("photos") or [] if isinstance(p, dict)]
        if not any(p.get("sha256") == photo["sha256"] and p.get("question") == question for p in photos):
            entry = {"sha256": photo["sha256"], "question": question}
            for k in ("taken_at", "size", "content_type"):
                if photo.get(k) is not None:
                    entry[k] = photo[k]
            photos.append(entry)
        h["doc"]["photos"] = photos
        form = self.form(h["form_version"] or h["doc"].get("form_version"))
        self._mark_changed(form, h["doc"], question)
        with self.store.tx() as c:
            self.store.add_photo(photo["sha256"], hid, photo.get("path") or "", photo.get("size") or 0, conn=c)
        self._save_edit(h, h["doc"], h["raw"] or {})

    def attach_photo(self, hid: str, question: str, source: Any, taken_at: str | None = None) -> dict[str, Any]:
        """Resize and store a picture (path or bytes) and attach it; raises evidence.PhotoError."""
        from .evidence import store_photo
        record = store_photo(self.store.path.parent, source, taken_at)
        self.add_photo(hid, question, record)
        return record

    def remove_photo(self, hid: str, index: int) -> None:
        h = self.household(hid)
        photos = list(h["doc"].get("photos") or [])
        if 0 <= index < len(photos):
            photos.pop(index)
        if photos:
            h["doc"]["photos"] = photos
        else:
            h["doc"].pop("photos", None)
        self._save_edit(h, h["doc"], h["raw"] or {})

    def _save_edit(self, h: dict[str, Any], doc: dict[str, Any], raw: dict[str, Any]) -> None:
        hid = h["household_id"]
        errors = self._has_errors(doc, raw, h.get("form_version"))
        status = h["status"]
        if status != st.RETURNED:
            status = st.DRAFT if errors else st.READY
        with self.store.tx() as c:
            # A finalised submission that was never attempted is replaced by this edit.
            self.store.supersede_open(hid, c)
            self.store.save_household(hid, conn=c, doc=doc, raw=raw, status=status,
                                      form_version=h.get("form_version") or doc.get("form_version"),
                                      **summary_columns(doc))

    # --- validation, relevance, classification -------------------------------------------------

    def problems(self, hid: str, doc: dict[str, Any] | None = None,
                 raw: dict[str, Any] | None = None) -> list[FieldProblem]:
        """Every problem: unparsed text first (it hides the field's own checks), then validation."""
        if doc is None:
            h = self.household(hid)
            doc, raw = h["doc"], h["raw"]
        raw = raw or {}
        out = []
        form = self.form(doc.get("form_version"))
        for path, text in raw.items():
            try:
                field, _, _ = self._locate(form, copy.deepcopy(doc), path)
                parse_text(field, text)
            except InputProblem as exc:
                out.append(FieldProblem(path, exc.message_vi, exc.message_en))
            except KeyError:
                continue
        for p in validate(doc, form=form, today=self.today()):
            if p.path in raw:
                continue
            out.append(FieldProblem(p.path, p.message_vi, p.message_en, p.severity))
        return out

    def _has_errors(self, doc: dict[str, Any], raw: dict[str, Any], version: str | None) -> bool:
        if raw:
            return True
        form = self.form(version or doc.get("form_version"))
        return any(p.severity == ERROR for p in validate(doc, form=form, today=self.today()))

    def relevant(self, doc: dict[str, Any], field: Field, member_index: int | None = None) -> bool:
        """Whether a field applies now (the form's ``relevant`` expression, evaluated as validation does)."""
        if field.relevant is None:
            return True
        ref = reference_date(doc, self.today()) or self.today()
        member = None
        if member_index is not None:
            members = doc.get("members") or []
            member = members[member_index] if member_index < len(members) else {}
            if not isinstance(member, dict):
                member = {}
        return is_relevant(field, doc, ref, member)

    def standards(self) -> list[Standard]:
        """Bundled standards, replaced or completed by the ones received through sync."""
        return list(self._standard_pool().values())

    def _standard_pool(self) -> dict[str, Standard]:
        pool = dict(load_standards())
        for key, value in self.store.conn.execute("SELECT key, value FROM settings WHERE key LIKE 'standard:%'"):
            try:
                s = standard_from_dict(json.loads(value), key)
                pool[s.id] = s
            except (ValueError, TypeError) as exc:   # a broken definition from the server never breaks the form
                log.warning("standard %s from the server is not usable: %s", key, exc)
        return pool

    def current_round(self) -> RoundDef | None:
        """The review round received from the server (None before the first sync, or on a server without rounds)."""
        row = self.store.conn.execute("SELECT value FROM settings WHERE key = 'round:current'").fetchone()
        if row is None:
            return None
        try:
            return round_from_wire(json.loads(row[0]))
        except ValueError:
            return None

    def round_standards(self, hid: str, doc: dict[str, Any] | None = None) -> list[Standard]:
        """The standards the household is classified under: its round's, exactly as on the server
        (``shared.rounds.round_standards``); without a round, those in force on its collection date."""
        doc = doc if doc is not None else self.household(hid)["doc"]
        ref = parse_date(doc.get("collected_at")) or self.today()
        return round_standards(self.current_round(), doc, self._standard_pool(), ref)

    def classification(self, hid: str) -> tuple[list[dict[str, Any]], str]:
        """The preview: the round's standards as the office applies them, and a note for the person
        (the form lacks questions the round needs; no standard applies; no provincial standard known)."""
        h = self.household(hid)
        doc = h["doc"]
        ref = parse_date(doc.get("collected_at")) or self.today()
        area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
        pool = self._standard_pool()
        rnd = self.current_round()
        chosen = round_standards(rnd, doc, pool, ref)
        notes = []
        if rnd is None:
            notes += [n["vi"] for n in coverage_notes(area.get("province_code"), ref, pool.values())]
        if not chosen:
            notes.append("Không có chuẩn nghèo nào áp dụng cho địa bàn và ngày rà soát này.")
        form = self.form(h.get("form_version") or doc.get("form_version"))
        missing = missing_questions(form, chosen)
        if missing and rnd is not None:
            notes.append(misfit_message(str(form.version), rnd, missing, self.fitting_version(chosen))[0])
        return classify_all(doc, chosen, ref=ref, form=form), " ".join(n for n in notes if n)

    def income_preview(self, hid: str) -> list[dict[str, Any]]:
        """As the income is typed: income per person per month against each round standard's line
        (or the B1 score against its cut-off), the way ``shared.classify`` decides the income side."""
        from shared.classify import INCOME_SOURCES
        h = self.household(hid)
        doc = h["doc"]
        area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
        area_type = area.get("area_type")
        n = len([m for m in doc.get("members") or [] if isinstance(m, dict)])
        inc = doc.get("income") if isinstance(doc.get("income"), dict) else {}
        given = [v for v in (inc.get(k) for k in INCOME_SOURCES)
                 if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
        b1 = doc.get("b1_score")
        out = []
        for std in self.round_standards(hid, doc):
            row: dict[str, Any] = {"standard_id": std.id, "label": dict(std.short_name), "area_type": area_type,
                                   "line": None, "per_person_month": None, "below": None, "missing": None,
                                   "mark": std.mark("income_line"), "b1_score": None, "b1_cutoff": None}
            if area_type not in ("urban", "rural"):
                row["missing"] = "area_type"
                out.append(row)
                continue
            row["line"] = std.income_line[area_type]
            if isinstance(b1, (int, float)) and not isinstance(b1, bool) and std.b1_cutoff is not None:
                cut = std.b1_cutoff[area_type]
                row.update(b1_score=b1, b1_cutoff=cut, below=b1 <= cut)
            elif not n:
                row["missing"] = "members"
            elif not given:
                row["missing"] = "income"
            else:
                per = sum(given) / 12 / n
                row.update(per_person_month=round(per), below=per <= row["line"])
            out.append(row)
        return out

    def fitting_version(self, standards: list[Standard]) -> str | None:
        """The newest form version on this tablet that asks every question the standards need."""
        versions = set(available_versions()) | set(self.store.form_definitions())
        for version in sorted(versions, key=_version_key, reverse=True):
            try:
                if not missing_questions(self.form(version), standards):
                    return version
            except (KeyError, ValueError):
                continue
        return None

    def upgrade_form(self, hid: str) -> str | None:
        """Move a draft whose form does not ask what its round needs to the newest version that does
        (answers are kept: a newer version only adds questions). Returns the new version, or None."""
        h = self.household(hid)
        if h["status"] not in (st.NOT_STARTED, st.DRAFT, st.READY, st.RETURNED):
            return None
        chosen = self.round_standards(hid, h["doc"])
        version = h.get("form_version") or h["doc"].get("form_version")
        if not missing_questions(self.form(version), chosen):
            return None
        better = self.fitting_version(chosen)
        if better is None or better == version:
            return None
        doc = dict(h["doc"], form_version=better)
        with self.store.tx() as c:
            self.store.save_household(hid, conn=c, doc=doc, form_version=better)
        return better

    # --- finalise ------------------------------------------------------------------------------

    def finalise(self, hid: str) -> str:
        """Queue the household for sending; raises ValueError when errors remain."""
        h = self.household(hid)
        errs = [p for p in self.problems(hid, doc=h["doc"], raw=h["raw"]) if p.severity == ERROR]
        if errs:
            raise ValueError(f"{len(errs)} errors remain")
        revision = max(h["revision"] or 0, h["server_revision"] or 0) + 1
        with self.store.tx() as c:
            self.store.supersede_open(hid, c)
            sid = self.store.enqueue(hid, revision, h["form_version"] or h["doc"]["form_version"], h["doc"], c)
            self.store.save_household(hid, conn=c, revision=revision, status=st.WAITING, server_problems=None)
        return sid


def head_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    members = [m for m in doc.get("members") or [] if isinstance(m, dict)]
    return next((m for m in members if m.get("relation") == "head"), members[0] if members else None)


def summary_columns(doc: dict[str, Any]) -> dict[str, Any]:
    """Columns the list screen shows and searches (search ignores diacritics and case)."""
    head = head_of(doc)
    addr = doc.get("address") if isinstance(doc.get("address"), dict) else {}
    address = " ".join(str(addr.get(k) or "") for k in ("house_number", "street")).strip()
    members = [m for m in doc.get("members") or [] if isinstance(m, dict)]
    names = " ".join(str(m.get("full_name") or "") for m in members)
    key = identity.fold(f"{names} {address} {doc.get('phone') or ''}")
    return {"head_name": (head or {}).get("full_name") or "", "address": address,
            "member_count": len(members), "search_key": key}


__all__ = ["Collection", "FieldProblem", "StoreError", "summary_columns", "head_of", "Problem"]

"""Kivy screens: copy presenter state into widgets; handlers are one line in the .kv files.

Nothing here decides anything: rules are in ``collect``/``shared``, state in
``presenters``. A screen rebuilds its dynamic widgets only on structural
changes (another section, member, language); after an answer it just updates
messages and relevance, so the box being typed in keeps its focus and text.
"""
from __future__ import annotations

import logging
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from . import store as st
from .i18n import tr
from .presenters import STATUS_ORDER
from .widgets import DELETE_RGBA, BigButton, BigLabel, BigToggle, FieldRow, NoteLabel, SectionButton

log = logging.getLogger("rasoat.tablet.screens")


class RootView(BoxLayout):
    pass


class EnrollScreen(Screen):
    presenter = ObjectProperty(None)
    busy = BooleanProperty(False)
    message = StringProperty("")
    error = StringProperty("")

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)
        self.ids.server_input.text = self.presenter.server_url
        self.render()

    def render(self) -> None:
        p = self.presenter
        self.busy, self.message, self.error = p.busy, p.message, p.error_vi
        fill, p.fill = p.fill, None
        if fill:                                   # read from a QR code
            self.ids.server_input.text, self.ids.code_input.text = fill

    def scan(self) -> None:
        App.get_running_app().scan_qr()


class ScanScreen(Screen):
    """The camera preview while an enrollment QR code is looked for. Frames come from an injected
    source (``mobile.camera``), a few per second, and go to the ScanPresenter."""
    presenter = ObjectProperty(None)
    message = StringProperty("")
    error = StringProperty("")
    interval = NumericProperty(0.2)

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)
        self.source: Any = None
        self._poll: Any = None

    def render(self) -> None:
        self.message, self.error = self.presenter.message, self.presenter.error_vi

    def start(self, source: Any) -> None:
        self.stop()
        self.source = source
        holder = self.ids.preview
        holder.clear_widgets()
        if getattr(source, "widget", None) is not None:
            holder.add_widget(source.widget)
        source.start()
        self.presenter.start()
        self._poll = Clock.schedule_interval(self._tick, self.interval)

    def _tick(self, _dt: float) -> None:
        if self.source is None or not self.presenter.active:
            return
        try:
            frame = self.source.read()
        except Exception:                  # a camera hiccup: the next frame may do
            log.warning("camera frame not read", exc_info=True)
            frame = None
        self.presenter.feed(frame)

    def stop(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        if self.source is not None:
            try:
                self.source.stop()
            except Exception:              # stopping the camera is best effort; we are leaving anyway
                log.warning("camera did not stop cleanly", exc_info=True)
            self.source = None
        self.ids.preview.clear_widgets()
        self.presenter.stop()

    def on_leave(self, *_: Any) -> None:
        self.stop()


class HouseholdsScreen(Screen):
    presenter = ObjectProperty(None)
    count_text = StringProperty("")
    banner = StringProperty("")
    notice = StringProperty("")

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)
        self._built_for = None
        self._shown: list | None = None

    def on_pre_enter(self, *_: Any) -> None:
        self.presenter.reload()

    def _build_bars(self) -> None:
        p, lang = self.presenter, self.presenter.lang
        key = (lang, tuple(g["code"] for g in p.groups))
        if key == self._built_for:
            return
        self._built_for = key
        gb, sb = self.ids.group_bar, self.ids.status_bar
        gb.clear_widgets()
        sb.clear_widgets()
        b = BigToggle(text=tr("list.all_groups", lang), group="groups", tid="group:all",
                      state="down" if p.group is None else "normal", allow_no_selection=False)
        b.bind(on_release=lambda *_: p.set_group(None))
        gb.add_widget(b)
        for g in p.groups:
            b = BigToggle(text=g["name"] or g["code"], group="groups", tid=f"group:{g['code']}",
                          state="down" if p.group == g["code"] else "normal", allow_no_selection=False)
            b.bind(on_release=lambda _b, code=g["code"]: p.set_group(code))
            gb.add_widget(b)
        b = BigToggle(text=tr("status.all", lang), group="status", tid="status:all", font_size="17sp",
                      state="down" if p.status is None else "normal", allow_no_selection=False)
        b.bind(on_release=lambda *_: p.set_status(None))
        sb.add_widget(b)
        for s in STATUS_ORDER:
            b = BigToggle(group="status", tid=f"status:{s}", font_size="17sp", value=s,
                          state="down" if p.status == s else "normal", allow_no_selection=False)
            b.bind(on_release=lambda _b, s=s: p.set_status(s))
            sb.add_widget(b)

    def render(self) -> None:
        p = self.presenter
        self._build_bars()
        for b in self.ids.status_bar.children:
            if b.value:
                b.text = f"{tr('status.' + b.value, p.lang)} ({p.counts.get(b.value, 0)})"
        if p.visible is not self._shown:      # unchanged result (a keystroke that filters nothing out): no redraw
            self._shown = p.visible
            self.ids.hh_list.data = p.visible
        self.count_text = p.count_text() if p.visible or not p.rows else tr("list.empty", p.lang)
        app = App.get_running_app()
        self.banner = app.store.get("auth_error") or "" if app else ""
        self.notice = p.notice()

    def new_household(self) -> None:
        App.get_running_app().new_household(self.presenter.group)


class FormScreen(Screen):
    presenter = ObjectProperty(None)
    title = StringProperty("")
    returned = StringProperty("")
    error = StringProperty("")
    info = StringProperty("")
    status_h = NumericProperty(dp(30))

    def grow_status(self) -> None:
        """The message space grows for a longer message and stays: nothing below moves back and forth."""
        need = self.ids.error_label.height + self.ids.info_label.height
        if need > self.status_h:
            self.status_h = need

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)
        self._shape = None
        self.rows: dict[str, FieldRow] = {}

    def _structure(self) -> tuple:
        p = self.presenter
        doc = p.record["doc"]
        return (p.hid, p.section_index, p.member_index, len(doc.get("members") or []), p.lang, p.confirm_remove,
                len(p.removed_members()) if p.section.repeat else 0)

    def render(self) -> None:
        p = self.presenter
        if p.hid is None:
            return
        shape = self._structure()
        if shape != self._shape:
            if self._shape is None or shape[0] != self._shape[0]:
                self.status_h = dp(30)            # another household: the message space starts small again
            self._shape = shape
            self._build()
        else:
            self._update_rows()
        self._banners()

    def _update_rows(self) -> None:
        for key, (relevant, errs, warns) in self.presenter.states().items():
            if key in self.rows:
                self.rows[key].update(relevant, errs, warns)

    def _banners(self) -> None:
        p = self.presenter
        self.title = p.title()
        server = p.server_banner()                 # from the server: changes only after a sync
        self.returned = "\n".join(x for x in (p.return_banner(), server) if x)
        self.error = p.error_vi
        saved = tr("form.saved", p.lang, time=p.saved_at) if p.saved_at else ""
        self.info = "   ".join(x for x in (p.info, saved) if x)
        for b in self.ids.section_list.children:
            s = next((x for x in p.sections() if x["index"] == b.value), None)
            if s:
                b.text = _section_text(s)
        if getattr(self, "_confirm_label", None) is not None:
            self._confirm_label.text = p.confirm_text()
            self._confirm_button.disabled = p.confirm_state() in ("unchanged", "changed")
        if getattr(self, "_income_label", None) is not None:
            self._income_label.text = "\n".join(p.income_lines())
        if getattr(self, "_gps_label", None) is not None:
            self._gps_label.text = p.gps_text() + (("\n" + p.gps_message) if p.gps_message else "")

    def _build(self) -> None:
        p = self.presenter
        lang = p.lang
        sl = self.ids.section_list
        sl.clear_widgets()
        for s in p.sections():
            b = SectionButton(text=_section_text(s), group="sections", value=s["index"],
                              state="down" if s["current"] else "normal", allow_no_selection=False,
                              tid=f"section:{s['id']}")
            b.bind(on_release=lambda _b, i=s["index"]: p.go_section(i))
            sl.add_widget(b)
        fl = self.ids.field_list
        fl.clear_widgets()
        self.rows = {}
        section = p.section
        fl.add_widget(BigLabel(text=(p.member_title() if section.repeat and p.member_index is not None
                                     else section.label.get(lang) or section.label.get("vi")),
                               font_size="26sp", bold=True))
        self._confirm_label = self._confirm_button = self._gps_label = self._income_label = None
        if section.id == "income" and p.member_index is None:
            self._income_bar(fl)
        if p.confirm_state() is not None and p.member_index is None:
            self._confirm_bar(fl)
        if section.repeat and p.member_index is None:
            self._roster(fl)
        else:
            for fs in p.fields():
                if fs.field.type == "geopoint":
                    self._gps(fl)
                    continue
                if fs.field.type == "photos":
                    self._photos(fl)
                    continue
                row = FieldRow(fs, self.answer, lang, on_leave=p.leave)
                self.rows[fs.path] = row
                fl.add_widget(row)
            if section.id == "status" and p.members():
                b = BigButton(text=tr("form.split_button", lang), tid="form:split",
                              background_color=(0.45, 0.30, 0.65, 1))
                b.bind(on_release=lambda *_: self._split_picker(fl))
                fl.add_widget(b)
            if section.repeat:
                b = BigButton(text=tr("form.member_done", lang), tid="form:member_done",
                              background_color=(0.05, 0.50, 0.32, 1))
                b.bind(on_release=lambda *_: p.member_done())
                fl.add_widget(b)
        if not (section.repeat and p.member_index is not None) and p.section_index < len(p.form.sections) - 1:
            nxt = p.form.sections[p.section_index + 1]
            b = BigButton(text=f"{nxt.label.get(lang) or nxt.label.get('vi')} >", tid="form:next")
            b.bind(on_release=lambda *_: p.next_section())
            fl.add_widget(b)
        self.ids.field_scroll.scroll_y = 1

    # income: the running income per person and the round's lines -----------------------------

    def _income_bar(self, fl: Any) -> None:
        p = self.presenter
        lines = p.income_lines()
        fl.add_widget(BigLabel(text=tr("income.title", p.lang), bold=True, color=(0.06, 0.26, 0.48, 1)))
        # Two lines kept per standard (it only grows): the questions below never move while typing.
        lab = NoteLabel(text="\n".join(lines), tid="form:income_line", color=(0.06, 0.26, 0.48, 1), font_size="20sp",
                        size_hint_y=None, halign="left", valign="top", height=max(1, len(lines)) * 2 * sp(20) * 1.25 + dp(8))
        lab.bind(width=lambda w, _v: setattr(w, "text_size", (w.width, None)),
                 texture_size=lambda w, ts: setattr(w, "height", max(w.height, ts[1] + dp(8))))
        self._income_label = lab
        fl.add_widget(lab)

    # preloaded: the big "Không thay đổi" button ----------------------------------------------

    def _confirm_bar(self, fl: Any) -> None:
        p, lang = self.presenter, self.presenter.lang
        self._confirm_label = BigLabel(text=p.confirm_text(), color=(0.45, 0.30, 0.0, 1), bold=True,
                                       tid="form:confirm_text")
        self._confirm_button = BigButton(text=tr("form.confirm_button", lang), tid="form:confirm", height="76dp",
                                         font_size="26sp", background_color=(0.05, 0.50, 0.32, 1),
                                         disabled=p.confirm_state() in ("unchanged", "changed"))
        self._confirm_button.bind(on_release=lambda *_: p.confirm_unchanged())
        fl.add_widget(self._confirm_label)
        fl.add_widget(self._confirm_button)

    def _split_picker(self, fl: Any) -> None:
        """Toggle the members who leave, then create the new household."""
        p, lang = self.presenter, self.presenter.lang
        fl.add_widget(BigLabel(text=tr("form.split_title", lang), bold=True))
        toggles = []
        for m in p.members():
            t = BigToggle(text=m["text"], tid=f"split:member:{m['index']}", value=m["index"])
            toggles.append(t)
            fl.add_widget(t)
        line = BoxLayout(size_hint_y=None, height="64dp", spacing="8dp")
        ok = BigButton(text=tr("form.split_ok", lang), tid="split:ok", background_color=(0.05, 0.50, 0.32, 1))
        cancel = BigButton(text=tr("form.split_cancel", lang), tid="split:cancel",
                           background_color=(0.45, 0.45, 0.5, 1))
        ok.bind(on_release=lambda *_: p.split([t.value for t in toggles if t.state == "down"]) and self._rebuild())
        cancel.bind(on_release=lambda *_: self._rebuild())
        line.add_widget(ok)
        line.add_widget(cancel)
        fl.add_widget(line)

    def _rebuild(self) -> None:
        self._shape = None
        self.render()

    # evidence: GPS and photos ------------------------------------------------------------------

    def _gps(self, fl: Any) -> None:
        from .widgets import BigInput
        p, lang = self.presenter, self.presenter.lang
        fl.add_widget(BigLabel(text=tr("gps.get", lang), bold=True))
        self._gps_label = BigLabel(text=p.gps_text(), tid="gps:text")
        fl.add_widget(self._gps_label)
        b = BigButton(text=tr("gps.get", lang), tid="gps:get", disabled=not p.gps.available)
        b.bind(on_release=lambda *_: p.request_gps())
        fl.add_widget(b)
        line = BoxLayout(size_hint_y=None, height="56dp", spacing="6dp")
        lat = BigInput(hint_text=tr("gps.lat", lang), multiline=False, tid="gps:lat")
        lon = BigInput(hint_text=tr("gps.lon", lang), multiline=False, tid="gps:lon")
        acc = BigInput(hint_text=tr("gps.acc", lang), multiline=False, tid="gps:acc", size_hint_x=0.5)
        for w in (lat, lon, acc):
            line.add_widget(w)
        fl.add_widget(line)
        m = BigButton(text=tr("gps.manual", lang), tid="gps:manual", background_color=(0.45, 0.45, 0.5, 1))
        m.bind(on_release=lambda *_: p.set_manual_gps(lat.text, lon.text, acc.text))
        fl.add_widget(m)

    def _photos(self, fl: Any) -> None:
        from .widgets import BigInput
        p, lang = self.presenter, self.presenter.lang
        app = App.get_running_app()
        fl.add_widget(BigLabel(text=tr("photo.title", lang), bold=True))
        for ph in p.photos():
            line = BoxLayout(size_hint_y=None, height="64dp", spacing="8dp")
            state = tr("photo.sent" if ph["uploaded"] else "photo.waiting", lang)
            line.add_widget(BigLabel(text=f"{ph['label']} · {state}" + (f" · {ph['error']}" if ph["error"] else ""),
                                     height="64dp", tid=f"photo:{ph['index']}"))
            r = BigButton(text=tr("photo.remove", lang), size_hint_x=None, width="140dp",
                          background_color=(0.7, 0.2, 0.2, 1), tid=f"photo:remove:{ph['index']}")
            r.bind(on_release=lambda _b, i=ph["index"]: p.remove_photo(i) or self._rebuild())
            line.add_widget(r)
            fl.add_widget(line)
        camera = bool(app and getattr(app, "has_camera", False))
        path = None
        if not camera:
            path = BigInput(hint_text=tr("photo.path_hint", lang), multiline=False, tid="photo:path")
            fl.add_widget(path)
        for q, qlabel in p.photo_questions():
            if camera:
                b = BigButton(text=tr("photo.camera", lang, q=qlabel), tid=f"photo:camera:{q}")
                b.bind(on_release=lambda _b, q=q: app.take_photo(q))
            else:
                b = BigButton(text=tr("photo.file", lang, q=qlabel), tid=f"photo:file:{q}",
                              background_color=(0.2, 0.45, 0.7, 1))
                b.bind(on_release=lambda _b, q=q: p.add_photo(q, path.text) and self._rebuild())
            fl.add_widget(b)

    def _roster(self, fl: Any) -> None:
        p, lang = self.presenter, self.presenter.lang
        members = p.members()
        if not members:
            fl.add_widget(BigLabel(text=tr("form.no_members", lang)))
        for m in members:
            line = BoxLayout(size_hint_y=None, height="64dp", spacing="8dp")
            if p.confirm_remove == m["index"]:        # "Xoá" asks before deleting
                name = (p.record["doc"].get("members") or [{}])[m["index"]].get("full_name") or "…"
                line.add_widget(BigLabel(text=tr("form.member_remove_ask", lang, n=m["index"] + 1, name=name),
                                         height="64dp", bold=True, color=DELETE_RGBA, tid=f"member:ask:{m['index']}"))
                yes = BigButton(text=tr("form.member_remove_yes", lang), size_hint_x=None, width="160dp",
                                background_color=DELETE_RGBA, tid=f"member:remove_yes:{m['index']}")
                yes.bind(on_release=lambda _b, i=m["index"]: p.remove_member(i))
                no = BigButton(text=tr("form.member_remove_no", lang), size_hint_x=None, width="160dp",
                               background_color=(0.45, 0.45, 0.5, 1), tid=f"member:remove_no:{m['index']}")
                no.bind(on_release=lambda *_: p.cancel_remove_member())
                line.add_widget(yes)
                line.add_widget(no)
                fl.add_widget(line)
                continue
            line.add_widget(BigLabel(text=("(!) " if m["errors"] else "") + m["text"], height="64dp",
                                     tid=f"member:{m['index']}"))
            e = BigButton(text=tr("form.member_edit", lang), size_hint_x=None, width="120dp",
                          tid=f"member:edit:{m['index']}")
            e.bind(on_release=lambda _b, i=m["index"]: p.edit_member(i))
            r = BigButton(text=tr("form.member_remove", lang), size_hint_x=None, width="120dp",
                          background_color=DELETE_RGBA, tid=f"member:remove:{m['index']}")
            r.bind(on_release=lambda _b, i=m["index"]: p.ask_remove_member(i))
            line.add_widget(e)
            line.add_widget(Widget(size_hint_x=None, width="24dp"))      # apart from "Sửa": no slip of the finger
            line.add_widget(r)
            fl.add_widget(line)
        for r in p.removed_lines():                  # deleted members: undo until the household is finished
            line = BoxLayout(size_hint_y=None, height="64dp", spacing="8dp")
            line.add_widget(BigLabel(text=r["text"], height="64dp", color=(0.4, 0.4, 0.45, 1),
                                     tid=f"member:removed:{r['k']}"))
            u = BigButton(text=tr("form.member_undo", lang), size_hint_x=None, width="160dp",
                          background_color=(0.45, 0.45, 0.5, 1), tid=f"member:undo:{r['k']}")
            u.bind(on_release=lambda _b, k=r["k"]: p.undo_remove(k))
            line.add_widget(u)
            fl.add_widget(line)
        for msg in p.members_problems():
            fl.add_widget(BigLabel(text=msg, color=(0.72, 0.05, 0.05, 1)))
        b = BigButton(text=tr("form.members_add", lang), tid="form:add_member", background_color=(0.05, 0.50, 0.32, 1))
        b.bind(on_release=lambda *_: p.add_member())
        fl.add_widget(b)

    def answer(self, path: str, value: Any) -> bool:
        ok = self.presenter.answer(path, value)
        if ok:
            for key, (relevant, errs, warns) in self.presenter.states().items():
                if key in self.rows:
                    self.rows[key].update(relevant, errs, warns)
            self._banners()
        return ok


def _section_text(s: dict[str, Any]) -> str:
    """(!) errors; (?) a preloaded section not confirmed yet; (OK) confirmed or changed."""
    mark = "(!) " if s["errors"] else ("(?) " if s.get("confirm") == "" else "")
    done = "  (OK)" if s.get("confirm") in ("unchanged", "changed") else ""
    return mark + s["label"] + done


class SummaryScreen(Screen):
    presenter = ObjectProperty(None)

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)

    def render(self) -> None:
        p, lang = self.presenter, self.presenter.lang
        cl = self.ids.card_list
        cl.clear_widgets()
        if p.note:
            cl.add_widget(BigLabel(text=p.note, color=(0.6, 0.35, 0.0, 1), bold=True, tid="summary:note"))
        colours = {"poor": (0.75, 0.1, 0.1, 1), "near_poor": (0.8, 0.45, 0.0, 1), "average": (0.1, 0.4, 0.7, 1),
                   "not_poor": (0.1, 0.5, 0.3, 1), "unknown": (0.4, 0.4, 0.45, 1)}
        for c in p.cards:
            cl.add_widget(BigLabel(text=c["standard_label"], bold=True, tid=f"summary:standard:{c['standard_id']}"))
            cl.add_widget(BigLabel(text=c["class_line"] + (("  " + tr("summary.draft", lang)) if c["draft"] else ""),
                                   font_size="28sp", bold=True, color=colours.get(c["class"], (0, 0, 0, 1)),
                                   tid=f"summary:class:{c['standard_id']}"))
            cl.add_widget(BigLabel(text=c["explanation"], tid=f"summary:explain:{c['standard_id']}"))
            if c["income"]:
                cl.add_widget(BigLabel(text=c["income"], bold=True))
            cl.add_widget(BigLabel(text=tr("summary.deprived", lang, n=c["deprived"], total=c["total"]), bold=True))
            for ind in c["indicators"]:
                cl.add_widget(_indicator_row(c["standard_id"], ind))
            cl.add_widget(BigLabel(text=" ", height="12dp"))
        cl.add_widget(BigLabel(text=tr("summary.missing", lang), font_size="24sp", bold=True))
        if not p.missing:
            cl.add_widget(BigLabel(text=tr("summary.nothing_missing", lang), tid="summary:missing"))
        for i, m in enumerate(p.missing):
            cl.add_widget(BigLabel(text="• " + m, color=(0.72, 0.05, 0.05, 1), tid=f"summary:missing:{i}"))
        cl.add_widget(BigLabel(text=tr("summary.preview_note", lang), font_size="17sp"))


INDICATOR_RGBA = {True: (0.72, 0.05, 0.05, 1), False: (0.05, 0.45, 0.25, 1), None: (0.45, 0.45, 0.5, 1)}


def _indicator_row(standard_id: str, ind: dict[str, Any]) -> BoxLayout:
    """One indicator: a shape (✘ ✔ ?) and a word in its colour, then the indicator and the rule's reason."""
    colour = INDICATOR_RGBA[ind["deprived"]]
    row = BoxLayout(size_hint_y=None, spacing=dp(8))
    icon = BigLabel(text=ind["icon"], font_name="data/fonts/DejaVuSans.ttf", font_size="26sp", bold=True,
                    color=colour, size_hint_x=None, width=dp(36), halign="center", pos_hint={"top": 1},
                    tid=f"summary:icon:{standard_id}:{ind['key']}")
    word = BigLabel(text=ind["word"], font_size="19sp", bold=True, color=colour, size_hint_x=None, width=dp(170),
                    pos_hint={"top": 1},
                    tid=f"summary:word:{standard_id}:{ind['key']}")
    mark = f" ({ind['mark']})" if ind.get("mark") else ""
    text = BigLabel(text=f"{ind['label']}: {ind['reason']}{mark}", font_size="19sp", color=(0.15, 0.15, 0.2, 1),
                    tid=f"summary:ind:{standard_id}:{ind['key']}")
    for w in (icon, word, text):
        row.add_widget(w)
    text.bind(height=lambda _w, h: setattr(row, "height", max(h, dp(40))))
    row.height = max(text.height, dp(40))
    return row


class SyncScreen(Screen):
    presenter = ObjectProperty(None)
    fraction = NumericProperty(0)
    counts = StringProperty("")
    progress_text = StringProperty("")
    last_ok = StringProperty("")
    clock_note = StringProperty("")
    message = StringProperty("")
    is_error = BooleanProperty(False)
    running = BooleanProperty(False)

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)

    def on_pre_enter(self, *_: Any) -> None:
        self.presenter.refresh()
        self._tick_ev = Clock.schedule_interval(self._tick, 1.0)       # the time taken, while it runs

    def on_leave(self, *_: Any) -> None:
        ev = getattr(self, "_tick_ev", None)
        if ev is not None:
            ev.cancel()

    def _tick(self, _dt: float) -> None:
        if self.presenter.running:
            self.progress_text = self.presenter.progress_line()

    def render(self) -> None:
        p = self.presenter
        self.fraction = p.fraction()
        self.progress_text = p.progress_line()
        self.counts = p.summary_line()
        self.last_ok = p.last_ok_line()
        self.clock_note = p.clock_note()
        self.message = p.message or tr("sync.idle", p.lang)
        self.is_error = p.progress.get("phase") == "error" or (p.progress.get("phase") == "idle" and bool(p.message))
        self.running = p.running
        rl = self.ids.result_list
        rl.clear_widgets()
        colours = {st.OB_DELIVERED: (0.05, 0.45, 0.25, 1), st.OB_FAILED: (0.72, 0.05, 0.05, 1),
                   st.OB_REJECTED: (0.72, 0.05, 0.05, 1), st.OB_QUEUED: (0.3, 0.3, 0.35, 1)}
        for i, r in enumerate(p.pending_rows()[:200]):
            rl.add_widget(BigLabel(text=r["text"], color=colours.get(r["state"], (0, 0, 0, 1)), font_size="18sp",
                                   tid=f"sync:row:{i}"))


__all__ = ["RootView", "EnrollScreen", "ScanScreen", "HouseholdsScreen", "FormScreen", "SummaryScreen", "SyncScreen"]

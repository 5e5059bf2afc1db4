"""The support screen of the tablet: what a household has received and its open needs (read-only, from the
last sync), and a small form to note a need. Its layout is in this module's own kv (no edit of the shared
screens.kv); :func:`install` adds the screen and a "Hỗ trợ" button beside the form screen's summary button.
The logic is in ``mobile/support.py`` (SupportPresenter)."""
from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from .i18n import tr
from .support import SupportPresenter
from .widgets import BigButton, BigLabel

KV = """
#:import tr mobile.i18n.tr
<SupportScreen>:
    BoxLayout:
        orientation: 'vertical'
        padding: dp(12)
        spacing: dp(8)
        BoxLayout:
            size_hint_y: None
            height: dp(60)
            spacing: dp(10)
            BigButton:
                id: back_button
                tid: 'support:back'
                size_hint_x: None
                width: dp(200)
                text: tr('support.back', app.lang)
                tone: 0.45, 0.45, 0.5, 1
                on_release: root.back()
            BigLabel:
                id: title_label
                tid: 'support:title'
                text: root.title
                font_size: '24sp'
                bold: True
                height: dp(60)
                shorten: True
        ScrollView:
            bar_width: dp(14)
            GridLayout:
                id: lines
                cols: 1
                spacing: dp(6)
                padding: dp(8), dp(8), dp(20), dp(20)
                size_hint_y: None
                height: self.minimum_height
        BigLabel:
            text: tr('support.note_a_need', app.lang)
            bold: True
        BoxLayout:
            size_hint_y: None
            height: dp(60)
            spacing: dp(8)
            Spinner:
                id: need_spinner
                tid: 'support:need'
                text: tr('support.pick_need', app.lang)
                values: root.need_labels
                font_size: '19sp'
            Spinner:
                id: member_spinner
                tid: 'support:member'
                text: tr('support.whole_household', app.lang)
                values: root.member_labels
                font_size: '19sp'
        BoxLayout:
            size_hint_y: None
            height: dp(60)
            spacing: dp(8)
            BigInput:
                id: note_input
                tid: 'support:note'
                hint_text: tr('support.note', app.lang)
                multiline: False
            BigButton:
                id: save_button
                tid: 'support:save'
                size_hint_x: None
                width: dp(220)
                text: tr('support.save', app.lang)
                tone: 0.05, 0.50, 0.32, 1
                on_release: root.save()
        BigLabel:
            id: message_label
            tid: 'support:message'
            text: root.message
            color: root.message_color
            bold: True
"""
Builder.load_string(KV)


class SupportScreen(Screen):
    presenter = ObjectProperty(None)
    title = StringProperty("")
    message = StringProperty("")
    message_color = ListProperty([0.05, 0.45, 0.25, 1])
    need_labels = ListProperty([])
    member_labels = ListProperty([])
    on_back: Any = None

    def on_presenter(self, *_: Any) -> None:
        self.presenter.bind(self.render)

    def render(self) -> None:
        p: SupportPresenter = self.presenter
        self.title = p.title
        self.need_labels = [label for _, label, _ in p.need_choices]
        self.member_labels = [tr("support.whole_household", p.lang)] + [name for _, name in p.members]
        box = self.ids.lines
        box.clear_widgets()
        box.add_widget(BigLabel(text=tr("support.received", p.lang), bold=True, font_size="22sp"))
        for i, line in enumerate(p.received):
            box.add_widget(BigLabel(text="• " + line, tid=f"support:received:{i}"))
        box.add_widget(BigLabel(text=tr("support.open_needs", p.lang), bold=True, font_size="22sp"))
        for i, line in enumerate(p.needs):
            box.add_widget(BigLabel(text="• " + line, tid=f"support:need:{i}"))
        if p.error:
            self.message, self.message_color = p.error, [0.72, 0.05, 0.05, 1]
        else:
            self.message, self.message_color = p.message, [0.05, 0.45, 0.25, 1]

    def save(self) -> None:
        p: SupportPresenter = self.presenter
        labels = {label: nid for nid, label, _ in p.need_choices}
        members = {name: mid for mid, name in p.members}
        need = labels.get(self.ids.need_spinner.text, "")
        member = members.get(self.ids.member_spinner.text)
        if p.add_need(need, member, self.ids.note_input.text):
            self.ids.note_input.text = ""
            self.ids.need_spinner.text = tr("support.pick_need", p.lang)
            self.ids.member_spinner.text = tr("support.whole_household", p.lang)

    def back(self) -> None:
        if self.on_back:
            self.on_back()


def install(app: Any, sm: Any) -> SupportPresenter:
    """Add the support screen and its button (beside the form screen's summary button)."""
    presenter = SupportPresenter(app.store)
    presenter.lang = app.lang
    screen = SupportScreen(name="support")
    sm.add_widget(screen)
    screen.presenter = presenter

    def back() -> None:
        sm.current = "form"

    def show() -> None:
        hid = getattr(app.form_p, "hid", None)
        if hid:
            presenter.open(hid)
            sm.current = "support"

    screen.on_back = back
    app.show_support = show
    form = sm.get_screen("form")
    anchor = form.ids.get("summary_button")
    if anchor is not None and anchor.parent is not None:
        bar = anchor.parent
        btn = BigButton(text=tr("support.button", app.lang), size_hint_x=None, width=anchor.width, tid="form:support")
        btn.bind(on_release=lambda *_: show())
        bar.add_widget(btn, index=bar.children.index(anchor))
    return presenter

"""Reusable widgets: one question row per form field, list rows, and a finder for tests.

Layout (sizes, colours) is in ``kv/widgets.kv``; this module only builds the
right input for a field type and reports answers through a callback. Every
widget a test taps carries a stable ``tid`` ("field:income.wages",
"choice:sex:female", "section:members", ...).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from .i18n import tr
from .presenters import FieldState

TEXT_TYPES = ("text", "integer", "decimal", "date")


def find(root: Widget, tid: str) -> Widget | None:
    """The widget under ``root`` whose ``tid`` is ``tid`` (tests and screenshots use it)."""
    for w in root.walk(restrict=True):
        if getattr(w, "tid", None) == tid:
            return w
    return None


def find_all(root: Widget, prefix: str) -> Iterator[Widget]:
    for w in root.walk(restrict=True):
        if str(getattr(w, "tid", "")).startswith(prefix):
            yield w


class TidMixin:
    tid = StringProperty("")


class BigLabel(TidMixin, Label):
    pass


class BigButton(TidMixin, Button):
    pass


class BigToggle(TidMixin, ToggleButton):
    value = ObjectProperty(None, allownone=True)


class BigInput(TidMixin, TextInput):
    pass


class HouseholdRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One household in the list (RecycleView view class)."""
    tid = StringProperty("")
    household_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    status = StringProperty("")
    status_text = StringProperty("")
    note = StringProperty("")
    index = NumericProperty(0)

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        self.tid = f"household:{data.get('household_id', '')}"
        return super().refresh_view_attrs(rv, index, data)

    def on_release(self):
        App.get_running_app().open_household(self.household_id)


class FieldRow(BoxLayout):
    """A question: label, the input for its type, and its messages (errors in red)."""
    tid = StringProperty("")
    path = StringProperty("")
    question = StringProperty("")
    message = StringProperty("")
    warning = StringProperty("")
    relevant = BooleanProperty(True)
    required = BooleanProperty(False)

    def __init__(self, state: FieldState, on_answer: Callable[[str, Any], bool], lang: str = "vi", **kw: Any):
        super().__init__(**kw)
        self.state, self.on_answer, self.lang = state, on_answer, lang
        self.path, self.tid = state.path, f"row:{state.path}"
        self.question = state.label + (" *" if state.required else "")
        self._loading = True
        self.input = self._build(state)
        self.ids.holder.add_widget(self.input)
        self.update(state.relevant, state.messages, state.warnings)
        self._loading = False

    # building ----------------------------------------------------------------------------------

    def _build(self, s: FieldState) -> Widget:
        t = s.field.type
        if t in TEXT_TYPES:
            multiline = t == "text" and (s.field.max_length or 0) > 200
            box = BigInput(text=s.text or "", multiline=multiline, tid=f"field:{s.path}",
                           input_type="number" if t in ("integer", "decimal") else "text",
                           hint_text=self._hint(t))
            if multiline:
                box.height = "120dp"
            box.bind(text=self._typed)
            return box
        if t in ("select_one", "select_multiple", "boolean"):
            choices = s.choices if t != "boolean" else [(True, tr("form.yes", self.lang)),
                                                         (False, tr("form.no", self.lang))]
            cols = 2 if len(choices) > 3 else max(1, len(choices))
            grid = GridLayout(cols=cols, spacing="6dp", size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            group = None if t == "select_multiple" else f"g:{s.path}:{id(self)}"
            current = s.value if t != "select_multiple" else set(s.value or [])
            for value, text in choices:
                down = (value in current) if t == "select_multiple" else (current == value and current is not None)
                b = BigToggle(text=text, group=group, value=value, state="down" if down else "normal",
                              allow_no_selection=True, tid=f"choice:{s.path}:{str(value).lower()}")
                b.bind(state=self._tapped)
                grid.add_widget(b)
            return grid
        return BigLabel(text=tr("form.not_supported", self.lang), tid=f"field:{s.path}")

    @staticmethod
    def _hint(t: str) -> str:
        return {"date": "ngày/tháng/năm", "integer": "0", "decimal": "0"}.get(t, "")

    # answers -----------------------------------------------------------------------------------

    def _typed(self, box: TextInput, text: str) -> None:
        if not self._loading:
            self.on_answer(self.path, text)

    def _tapped(self, button: BigToggle, state: str) -> None:
        if self._loading:
            return
        t = self.state.field.type
        if t == "select_multiple":
            value = [b.value for b in self.input.children[::-1] if b.state == "down"]
        else:
            if state != "down" and any(b.state == "down" for b in self.input.children):
                return          # the group moved to another button: that button reports
            value = button.value if state == "down" else None
        self.on_answer(self.path, value)

    def update(self, relevant: bool, messages: list[str], warnings: list[str]) -> None:
        self.relevant = relevant
        self.message = "\n".join(messages) if relevant else ""
        self.warning = "\n".join(warnings) if relevant else ""


class SectionButton(BigToggle):
    errors = NumericProperty(0)

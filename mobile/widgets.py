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
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.recyclelayout import RecycleLayout
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


class NoteLabel(TidMixin, Label):
    """A message line whose height the row decides (BigLabel's height follows its text)."""


class BigButton(TidMixin, Button):
    """``tone`` is the button's colour (pressed: darker). A ``background_color`` given when the button
    is made is its tone: the .kv rule that darkens a pressed button would otherwise paint over it."""
    tone = ListProperty([0.11, 0.40, 0.70, 1])

    def __init__(self, **kw: Any):
        if "background_color" in kw:
            kw["tone"] = list(kw.pop("background_color"))
        super().__init__(**kw)


DELETE_RGBA = (0.75, 0.12, 0.12, 1)      # deleting something: red, never the colour of "edit"


class BigToggle(TidMixin, ToggleButton):
    value = ObjectProperty(None, allownone=True)


class BigInput(TidMixin, TextInput):
    pass


# Status badge colours of the household list (RGBA).
STATUS_RGBA: dict[str, tuple[float, float, float, float]] = {
    "not_started": (0.55, 0.55, 0.6, 1), "draft": (0.85, 0.5, 0.05, 1), "ready": (0.1, 0.5, 0.75, 1),
    "waiting": (0.45, 0.3, 0.7, 1), "synced": (0.1, 0.55, 0.3, 1), "returned": (0.75, 0.1, 0.1, 1)}
DETAIL_RGBA = (0.3, 0.3, 0.35, 1)
RETURNED_RGBA = (0.72, 0.05, 0.05, 1)


class HouseholdRow(RecycleDataViewBehavior, ButtonBehavior, Widget):
    """One household in the list (RecycleView view class): a plain widget with three labels placed
    by the .kv, no nested layouts. The data item carries display-ready strings (presenter)."""
    tid = StringProperty("")
    household_id = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    status = StringProperty("")
    status_text = StringProperty("")
    badge_rgba = ListProperty([0.5, 0.5, 0.5, 1])
    detail_rgba = ListProperty(list(DETAIL_RGBA))
    index = NumericProperty(0)

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        self.tid = f"household:{data.get('household_id', '')}"
        return super().refresh_view_attrs(rv, index, data)

    def on_status(self, _w: Any, status: str) -> None:
        self.badge_rgba = STATUS_RGBA.get(status, (0.5, 0.5, 0.5, 1))
        self.detail_rgba = RETURNED_RGBA if status == "returned" else DETAIL_RGBA

    def on_release(self):
        App.get_running_app().open_household(self.household_id)


class _UniformOpts:
    """``view_opts`` of N rows of one size, made on demand: RecycleLayout only reads the visible ones."""

    def __init__(self, layout: "UniformRowLayout", n: int, geometry: tuple | None):
        self.n, self.geometry = n, geometry
        self.viewclass = layout.viewclass
        self.x, self.top, self.width = layout.x, layout.top, layout.width
        self.row_h, self.step = layout.row_height, layout.row_height + layout.spacing
        self._made: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        opt = self._made.get(i)
        if opt is None:
            opt = self._made[i] = {
                "size": [self.width, self.row_h], "size_hint": [None, None], "size_hint_min": [None, None],
                "size_hint_max": [None, None], "pos": [self.x, self.top - i * self.step - self.row_h],
                "pos_hint": {}, "viewclass": self.viewclass, "width_none": False, "height_none": False}
        return opt


class UniformRowLayout(RecycleLayout):
    """Vertical RecycleView layout for rows of one height (the household list).

    Kivy's RecycleBoxLayout walks every data item twice on each data change (sizes, then
    positions: ~35 ms for 5,000 rows on a desktop CPU). Here a row's place is arithmetic, so
    a new filter result costs only the rows on screen.
    """
    row_height = NumericProperty(dp(84))
    spacing = NumericProperty(0)
    minimum_height = NumericProperty(0)

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        for name in ("size", "pos", "row_height", "spacing"):
            self.fbind(name, self._catch_layout_trigger)

    def _geometry(self, n: int) -> tuple:
        return (n, self.x, self.top, self.width, self.row_height, self.spacing)

    def compute_sizes_from_data(self, data, flags):
        self.clear_layout()                    # the data changed: every view is re-synced
        self.view_opts = _UniformOpts(self, len(data), None)

    def compute_layout(self, data, flags):
        super().compute_layout(data, flags)
        n = len(data)
        self.minimum_height = max(0, n * (self.row_height + self.spacing) - self.spacing) if n else 0
        geometry = self._geometry(n)           # after minimum_height: .kv binds height to it
        opts = self.view_opts
        if isinstance(opts, _UniformOpts) and opts.geometry == geometry and len(opts) == n:
            return
        if isinstance(opts, _UniformOpts) and opts.geometry is not None:
            self.remove_views()                # moved or resized: views keep their data, get new places
        self.view_opts = _UniformOpts(self, n, geometry)

    def get_view_index_at(self, pos):
        n = len(self.view_opts)
        if not n:
            return 0
        step = self.row_height + self.spacing
        return min(n - 1, max(0, int((self.top - pos[1]) // step)))

    def compute_visible_views(self, data, viewport):
        if not data or not isinstance(self.view_opts, _UniformOpts) or self.view_opts.geometry is None:
            return []
        _x, y, _w, h = viewport
        first, last = self.get_view_index_at((0, y + h)), self.get_view_index_at((0, y))
        return list(range(first, last + 1))


class FieldRow(BoxLayout):
    """A question: label, the input for its type, and one message line (errors in red, else warnings
    in orange). The message line's height is reserved (one line, more once a longer message was
    shown) so that a message appearing or going away never moves the questions below."""
    tid = StringProperty("")
    path = StringProperty("")
    question = StringProperty("")
    message = StringProperty("")
    warning = StringProperty("")
    note = StringProperty("")
    note_is_error = BooleanProperty(False)
    note_height = NumericProperty(dp(32))
    relevant = BooleanProperty(True)
    required = BooleanProperty(False)

    def __init__(self, state: FieldState, on_answer: Callable[[str, Any], bool], lang: str = "vi",
                 on_leave: Callable[[str], None] = lambda path: None, **kw: Any):
        super().__init__(**kw)
        self.state, self.on_answer, self.lang, self.on_leave = state, on_answer, lang, on_leave
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
                           hint_text=self._hint(s, self.lang))
            if multiline:
                box.height = "120dp"
            box.bind(text=self._typed, focus=self._focused)
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
    def _hint(s: FieldState, lang: str = "vi") -> str:
        """A placeholder that reads as an instruction, never as a value (no grey "0")."""
        t = s.field.type
        if t == "date":
            return tr("hint.date", lang)
        if t == "integer" and s.field.name.startswith("income."):
            return tr("hint.money", lang)
        if t == "integer":
            return tr("hint.integer", lang)
        if t == "decimal":
            return tr("hint.decimal", lang)
        return ""

    # answers -----------------------------------------------------------------------------------

    def _typed(self, box: TextInput, text: str) -> None:
        if not self._loading:
            self.on_answer(self.path, text)

    def _focused(self, box: TextInput, focus: bool) -> None:
        if not focus and not self._loading:
            self.on_leave(self.path)          # the question was left: its messages may show now

    def _tapped(self, button: BigToggle, state: str) -> None:
        if self._loading:
            return
        t = self.state.field.type
        if t == "select_multiple":
            exclusive = self.state.field.exclusive_values
            if state == "down" and exclusive:
                # "Không có" (none) stands alone: choosing it clears the others, choosing another clears it
                alone = str(button.value) in exclusive
                self._loading = True
                try:
                    for b in self.input.children:
                        if b is not button and b.state == "down" and (alone or str(b.value) in exclusive):
                            b.state = "normal"
                finally:
                    self._loading = False
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
        self.note_is_error = bool(self.message)
        self.note = self.message or self.warning

    def on_note_texture(self, height: float) -> None:
        """A longer message than any before widens the reserved space once; it never shrinks back."""
        if height + dp(4) > self.note_height:
            self.note_height = height + dp(4)


class SectionButton(BigToggle):
    errors = NumericProperty(0)

"""The household review form as versioned data.

A form definition is a JSON file under ``shared/data/forms/``. This module loads
it into small immutable objects that the validator (server and tablet) and the
tablet's form renderer share. Nothing here reads answers; see ``validation``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from . import expr

FORMS_DIR = Path(__file__).parent / "data" / "forms"
CURRENT_FORM_VERSION = "2026.1"

FIELD_TYPES = frozenset({
    "text", "integer", "decimal", "boolean", "date",
    "select_one", "select_multiple", "geopoint", "photos",
})

# Names every expression may use besides ${field} references.
EXPR_FUNCTIONS = frozenset({"selected", "count", "coalesce", "len", "min", "max", "abs", "int"})


class FormDefinitionError(ValueError):
    """The form definition file itself is broken (a developer error)."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]
    exclusive: bool = False        # select_multiple: "none" — chosen alone, never with another choice


@dataclass(frozen=True)
class Field:
    name: str                      # path relative to the household, or to a member in a repeat
    type: str
    label: dict[str, str]
    section: str
    repeat: str | None = None      # "members" for roster fields
    required: bool = False
    required_expr: expr.Expr | None = None
    relevant: expr.Expr | None = None
    constraint: expr.Expr | None = None
    constraint_message: dict[str, str] | None = None
    choices: tuple[Choice, ...] = ()
    choice_values: frozenset[str] = frozenset()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: dict[str, str] | None = None
    checks: tuple[str, ...] = ()

    @cached_property
    def exclusive_values(self) -> frozenset[str]:
        """Choices that stand alone ("Không có"); a select_multiple with one treats [] as unanswered."""
        return frozenset(c.value for c in self.choices if c.exclusive)

    @cached_property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))

    @cached_property
    def labels(self) -> tuple[str, str]:
        """(Vietnamese, English) label, the field name where one is missing."""
        return self.label.get("vi", self.name), self.label.get("en", self.name)


@dataclass(frozen=True)
class Section:
    id: str
    label: dict[str, str]
    fields: tuple[Field, ...]
    repeat: str | None = None
    min_count: int | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class Form:
    form_id: str
    version: str
    title: dict[str, str]
    sections: tuple[Section, ...]
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    confirm_sections: tuple[str, ...] = ()   # sections a preloaded household must confirm or change
    gone_events: frozenset[str] = frozenset()  # lifecycle events after which no other answer is needed
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def fields(self, repeat: str | None = None) -> tuple[Field, ...]:
        return tuple(f for s in self.sections if s.repeat == repeat for f in s.fields)

    def field(self, name: str, repeat: str | None = None) -> Field:
        for f in self.fields(repeat):
            if f.name == name:
                return f
        raise KeyError(name)

    def repeat_section(self, repeat: str) -> Section:
        for s in self.sections:
            if s.repeat == repeat:
                return s
        raise KeyError(repeat)

    def top_level_keys(self) -> frozenset[str]:
        """Top-level keys a household document may carry under this form."""
        return self._keys[0]

    def nested_keys(self, top: str) -> frozenset[str]:
        """Second-level keys allowed under a top-level object such as ``housing``."""
        return self._keys[1].get(top, frozenset())

    @cached_property
    def _keys(self) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
        """Computed once per form (validation asks for them for every document)."""
        top = {"household_id", "form_version", "collected_at", "confirmations"}
        nested: dict[str, set[str]] = {}
        for s in self.sections:
            if s.repeat:
                top.add(s.repeat)
                continue
            for f in s.fields:
                top.add(f.parts[0])
                if len(f.parts) == 2:
                    nested.setdefault(f.parts[0], set()).add(f.parts[1])
        return frozenset(top), {k: frozenset(v) for k, v in nested.items()}


def _compile(text: Any, where: str) -> expr.Expr | None:
    if text is None or isinstance(text, bool):
        return None
    try:
        return expr.parse(str(text), EXPR_FUNCTIONS)
    except expr.ExprError as exc:
        raise FormDefinitionError(f"{where}: {exc}") from exc


def form_from_dict(data: dict[str, Any]) -> Form:
    """Build a Form from its JSON data, checking the definition as it goes."""
    choices = {
        key: tuple(Choice(str(c["value"]), dict(c["label"]), bool(c.get("exclusive", False))) for c in items)
        for key, items in data.get("choices", {}).items()
    }
    sections = []
    for s in data["sections"]:
        fields = []
        for f in s["fields"]:
            where = f"{s['id']}.{f['name']}"
            if f["type"] not in FIELD_TYPES:
                raise FormDefinitionError(f"{where}: unknown type {f['type']!r}")
            req = f.get("required", False)
            ch: tuple[Choice, ...] = ()
            if "choices" in f:
                if f["choices"] not in choices:
                    raise FormDefinitionError(f"{where}: unknown choice list {f['choices']!r}")
                ch = choices[f["choices"]]
            fields.append(Field(
                name=f["name"], type=f["type"], label=dict(f["label"]), section=s["id"],
                repeat=s.get("repeat"),
                required=req is True,
                required_expr=_compile(req, where + ".required") if isinstance(req, str) else None,
                relevant=_compile(f.get("relevant"), where + ".relevant"),
                constraint=_compile(f.get("constraint"), where + ".constraint"),
                constraint_message=f.get("constraint_message"),
                choices=ch, choice_values=frozenset(c.value for c in ch),
                min=f.get("min"), max=f.get("max"), min_exclusive=bool(f.get("min_exclusive", False)),
                min_length=f.get("min_length"), max_length=f.get("max_length"),
                pattern=f.get("pattern"), pattern_message=f.get("pattern_message"),
                checks=tuple(f.get("checks", ())),
            ))
        sections.append(Section(
            id=s["id"], label=dict(s["label"]), fields=tuple(fields), repeat=s.get("repeat"),
            min_count=s.get("min_count"), max_count=s.get("max_count"),
        ))
    known = {s.id for s in sections}
    confirm = tuple(data.get("confirm_sections", ()))
    for sid in confirm:
        if sid not in known:
            raise FormDefinitionError(f"confirm_sections: unknown section {sid!r}")
    return Form(form_id=data["form_id"], version=str(data["version"]), title=dict(data["title"]),
                sections=tuple(sections), choices=choices, confirm_sections=confirm,
                gone_events=frozenset(data.get("gone_events", ())), raw=data)


def available_versions() -> list[str]:
    return sorted(p.stem.split("-", 1)[1] for p in FORMS_DIR.glob("household-*.json"))


@lru_cache(maxsize=16)
def load_form(version: str = CURRENT_FORM_VERSION) -> Form:
    """Load a bundled form version; raises KeyError naming the known versions."""
    path = FORMS_DIR / f"household-{version}.json"
    if not path.is_file():
        raise KeyError(f"unknown form version {version!r}; known: {', '.join(available_versions())}")
    return form_from_dict(json.loads(path.read_text(encoding="utf-8")))

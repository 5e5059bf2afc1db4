"""What a Vietnamese reader must never see: raw keys (snake_case identifiers), internal ids
(standard ids, Python values such as ``None``, dicts), ISO dates, and English phrases from the
console's message catalogue. ``problems(text)`` lists each offending piece with its context;
``page_text(html)`` is what a person reads on a page (text, option labels, placeholders, titles —
not scripts, styles, URLs or hidden form values)."""
from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
DECIMAL_POINT = re.compile(r"(?<![\d.,])\d{1,3}\.\d{1,2}(?![\d.])(?!\s*(?:/QĐ|QĐ))")
ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)")
PYTHON = re.compile(r"\{'|\{\"|\['|<built-in|Traceback")
PY_WORDS = re.compile(r"\b(?:None|True|False|null)\b")
# Values of the program's enumerations that leak when a label is missing (single English words).
RAW_VALUES = re.compile(r"\b(?:device|preload|accepted|unchanged|changed|submitted|returned|conflict|auto|human|"
                        r"pending|stands|settled|draft|periodic|regular|poor|average|unknown|other|urban|rural|"
                        r"male|female|head|spouse|child|yes|no)\b")
ENGLISH_WORDS = re.compile(r"\b(?:the|and|of|is|are|not|with|for|from|this|that|by|which|when|has|have|"
                           r"was|were|will|must|only|each|every|per|their|its)\b", re.I)


@lru_cache(maxsize=1)
def _standard_ids() -> frozenset[str]:
    from shared.standards import load_standards
    return frozenset(load_standards())


@lru_cache(maxsize=1)
def _catalogue():
    """The console's message catalogue, as create_app assembles it (every part's strings)."""
    from server.app import CONSOLE_PARTS
    from server.console.web import catalogue
    return catalogue(CONSOLE_PARTS)


@lru_cache(maxsize=1)
def english_phrases() -> tuple[str, ...]:
    """English catalogue texts that a Vietnamese page must not show: those that differ from the
    Vietnamese text of the same key and read as English (two words or more, or one long word)."""
    messages = _catalogue().messages
    vi, en = messages["vi"], messages["en"]
    vi_text = " ".join(vi.values())
    out = set()
    for key, text in en.items():
        if key == "nav.lang_switch" or vi.get(key) == text:
            continue
        plain = re.sub(r"\{[^}]*\}", " ", text).strip(" .:«»")
        words = re.findall(r"[A-Za-z]+", plain)
        if not words or plain in vi_text:
            continue
        if len(words) >= 2 or len(words[0]) >= 7:
            out.add(" ".join(plain.split()))
    return tuple(sorted(out, key=len, reverse=True))


@lru_cache(maxsize=1)
def _i18n_key() -> re.Pattern[str]:
    """A message key shown as text (its translation is missing): ``dup.f.head``, ``hh.accept``."""
    prefixes = sorted({k.split(".", 1)[0] for k in _catalogue().messages["vi"] if "." in k}, key=len, reverse=True)
    return re.compile(r"(?<![\w/.])(?:" + "|".join(map(re.escape, prefixes)) + r")\.[a-z_]+(?:\.[a-z_]+)*(?![\w/])")


def problems(text: str, where: str = "", lang: str = "vi") -> list[str]:
    """Each raw key, standard id, Python value, ISO date or English phrase in ``text`` (the first
    occurrence of each, with its context). ``lang="en"``: the English pages, where English is right
    and a decimal point too — raw keys, ids, program values and ISO dates are still wrong."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()

    def ctx(m: re.Match[str]) -> str:
        a, b = max(0, m.start() - 40), min(len(text), m.end() + 40)
        return " ".join(text[a:b].split())

    def add(kind: str, token: str, m: re.Match[str]) -> None:
        if (kind, token) not in seen:
            seen.add((kind, token))
            out.append(f"{where}: {kind} {token!r} in «{ctx(m)}»")

    for sid in _standard_ids():
        for m in re.finditer(re.escape(sid), text):
            add("standard id", sid, m)
    for m in _i18n_key().finditer(text):
        add("message key without its text", m.group(0), m)
    for m in SNAKE.finditer(text):
        if not any(m.group(0) in sid for sid in _standard_ids()):
            add("raw key", m.group(0), m)
    for m in ISO_DATE.finditer(text):
        add("ISO date", "dates", m)
    for m in PYTHON.finditer(text):
        add("program value", m.group(0), m)
    if lang != "vi":
        return out
    for m in PY_WORDS.finditer(text):
        add("program value", m.group(0), m)
    for m in DECIMAL_POINT.finditer(text):
        add("decimal point (a comma in Vietnamese)", m.group(0), m)
    for m in RAW_VALUES.finditer(text):
        add("raw value", m.group(0), m)
    for phrase in english_phrases():
        for m in re.finditer(r"(?<![A-Za-z])" + re.escape(phrase) + r"(?![A-Za-z])", text):
            add("English", phrase, m)
    for line in text.splitlines():
        found = {w.lower() for w in ENGLISH_WORDS.findall(line)}
        if len(found) >= 2 and ("sentence", line) not in seen:
            seen.add(("sentence", line))
            out.append(f"{where}: English sentence «{' '.join(line.split())[:160]}»")
    return out


class _Visible(HTMLParser):
    SKIP = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        a = dict(attrs)
        for name in ("placeholder", "title", "aria-label", "alt"):
            if a.get(name):
                self.parts.append("\n" + str(a[name]) + "\n")
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append("\n" + str(a["value"]) + "\n")
        if tag in ("p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "section", "td", "th", "option", "label",
                   "dt", "dd", "button", "table"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in ("td", "th", "li", "p", "option", "div"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    p = _Visible()
    p.feed(html)
    lines = (" ".join(line.split()) for line in "".join(p.parts).splitlines())
    return "\n".join(line for line in lines if line)

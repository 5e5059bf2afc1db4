"""Safe expression language for form rules (``relevant``, ``required``, ``constraint``).

Hand-written tokenizer and recursive-descent parser; expressions compile to nested Python
closures (the interpreter's own eval/exec machinery is never used).  Syntax: ``12``, ``8.5``,
``'s'``/``"s"`` (escapes ``\\'`` ``\\"`` ``\\\\``), ``true``, ``false``, ``null``, ``${name}``
or ``${dotted.path}``, ``.`` (the current field's value), ``f(a, b)``, ``x [not] in (a, b)``.
Precedence, lowest first: ``or``; ``and``; ``not``; ``= == != < <= > >=`` (not chainable);
``+ -``; ``* /``; unary ``-``.

Null is SQL-like: arithmetic, ordering and equality with null give null, but ``=``/``!=``
against the literal ``null`` test for null (``${x} = null`` is true when x is missing).
``and``/``or``/``not`` are Kleene logic over true/false/null (other operands are an error);
``x in (a, b)`` means ``x = a or x = b``.  Different types are never equal (``'1' = 1`` is
false); ordering needs two numbers, strings or dates, arithmetic two numbers, else
EvalError.  Builtins (arity checked when parsing): selected, count, coalesce, len, min,
max, abs, int; a list may also be a space-separated string (XLSForm select_multiple).
Functions passed by the caller override builtins.  Limits: 2,000 characters, 50 levels
of nesting (parentheses, calls, ``in`` lists, ``not``, unary minus).
"""
from __future__ import annotations

import collections
import datetime as _dt
import decimal
import fractions
import functools
import operator
import string
from typing import Any, Callable, Mapping

__all__ = ["ExprError", "ParseError", "EvalError", "Expr", "parse", "evaluate", "truthy",
           "BUILTIN_FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH"]


MAX_LENGTH = 2000
MAX_DEPTH = 50


class ExprError(ValueError):
    """Base error; ``position`` is a 0-based character offset into ``expression``."""

    def __init__(self, message: str, position: int | None = None, expression: str | None = None):
        self.message, self.position, self.expression = message, position, expression or ""
        shown = self.expression if len(self.expression) <= 120 else self.expression[:117] + "..."
        super().__init__(message + ("" if position is None else f" at position {position}")
                         + ("" if expression is None else f" in '{shown}'"))


class ParseError(ExprError):
    """The expression text is invalid."""


class EvalError(ExprError):
    """Evaluation failed: type error, division by zero, unknown function, ..."""


def truthy(value: Any) -> bool:
    """Boolean meaning of a result: null, false, 0, '' and empty lists are False."""
    return False if value is None else bool(value)


# ------------------------------------------------------------ values and operators
_KINDS: dict[type, str] = {  # datetime must precede date (it is a subclass)
    bool: "boolean", int: "number", float: "number", decimal.Decimal: "number",
    fractions.Fraction: "number", str: "string", list: "list", tuple: "list", set: "list",
    frozenset: "list", dict: "mapping", type(None): "null",
    _dt.datetime: "datetime", _dt.date: "date", _dt.time: "time"}


_ORDERABLE = frozenset({"number", "string", "date", "datetime", "time"})
_FAST = frozenset({int, float})
_SIMPLE = frozenset({int, float, str, bool})
_DIGITS = frozenset(string.digits)


def _kind(v: Any) -> str:
    k = _KINDS.get(type(v))
    return k or next((name for t, name in _KINDS.items() if isinstance(v, t)), type(v).__name__)


def _desc(v: Any) -> str:
    r = repr(v)
    return f"{_kind(v)} {r if len(r) <= 40 else r[:37] + '...'}"


def _equal(x: Any, y: Any) -> bool:
    return _kind(x) == _kind(y) and bool(x == y)


def _arith(sym: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any, int], Any]:
    def apply(x: Any, y: Any, pos: int) -> Any:
        if type(x) not in _FAST or type(y) not in _FAST:
            if x is None or y is None:
                return None
            if _kind(x) != "number" or _kind(y) != "number":
                raise EvalError(f"operator '{sym}' needs numbers, got {_desc(x)} and {_desc(y)}", pos)
        try:
            return fn(x, y)
        except (TypeError, ArithmeticError) as exc:
            raise EvalError("division by zero" if isinstance(exc, ZeroDivisionError) else
                            f"operator '{sym}' failed on {_desc(x)} and {_desc(y)}: {exc}", pos) from None
    return apply


def _order(sym: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any, int], Any]:
    def apply(x: Any, y: Any, pos: int) -> Any:
        tx, ty = type(x), type(y)
        if (tx in _FAST and ty in _FAST) or (tx is str and ty is str):
            return fn(x, y)
        if x is None or y is None:
            return None
        if _kind(x) == _kind(y) in _ORDERABLE:
            try:
                return fn(x, y)
            except TypeError:
                pass
        raise EvalError(f"cannot compare {_desc(x)} with {_desc(y)} using '{sym}'", pos)
    return apply


def _eq(x: Any, y: Any, pos: int) -> bool | None:
    if x is None or y is None:
        return None
    return x == y if type(x) is type(y) and type(x) in _SIMPLE else _equal(x, y)


def _logical(word: str, v: Any, pos: int) -> bool | None:
    if v is None or v is True or v is False:
        return v
    raise EvalError(f"'{word}' needs true, false or null, got {_desc(v)}", pos)


def _neg(v: Any, pos: int) -> Any:
    if type(v) in _FAST or v is None:
        return None if v is None else -v
    if _kind(v) != "number":
        raise EvalError(f"unary '-' needs a number, got {_desc(v)}", pos)
    return -v


_BINARY = {"+": _arith("+", operator.add), "-": _arith("-", operator.sub),
           "*": _arith("*", operator.mul), "/": _arith("/", operator.truediv),
           "=": _eq, "==": _eq, "!=": lambda x, y, pos: _NOT[_eq(x, y, pos)],
           **{s: _order(s, f) for s, f in (("<", operator.lt), ("<=", operator.le),
                                           (">", operator.gt), (">=", operator.ge))}}


_NOT = {True: False, False: True, None: None}  # Kleene negation
_COMPARISONS = frozenset({"=", "==", "!=", "<", "<=", ">", ">="})


# ---------------------------------------------------------------------- builtins
def _items(name: str, v: Any) -> Any:
    if v is None or isinstance(v, (str, list, tuple, set, frozenset)):
        return () if v is None else v.split() if isinstance(v, str) else v
    raise EvalError(f"{name}() needs a list, got {_desc(v)}")


def _selected(values: Any, choice: Any) -> bool:
    items = _items("selected", values)
    return choice in items if type(choice) is str else any(_equal(x, choice) for x in items)


def _unary(name: str, kinds: set[str], fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def builtin(v: Any) -> Any:
        if v is not None and _kind(v) not in kinds:
            raise EvalError(f"{name}() cannot take {_desc(v)}")
        return None if v is None else fn(v)
    return builtin


def _to_int(v: Any) -> int:
    try:                                   # truncates toward zero; accepts '12' and '8.5'
        return int(float(v)) if isinstance(v, str) else int(v)
    except (ValueError, OverflowError):
        raise EvalError(f"int() cannot convert {_desc(v)}") from None


def _extreme(name: str, pick: Callable[..., Any]) -> Callable[..., Any]:
    def builtin(*args: Any) -> Any:
        if len(args) == 1 and _kind(args[0]) == "list":      # min(${list}) also works
            args = tuple(args[0])
        if not args or any(a is None for a in args):
            return None
        kinds = {_kind(a) for a in args}
        if len(kinds) != 1 or not kinds <= _ORDERABLE:
            raise EvalError(f"{name}() needs values of one comparable type, got {', '.join(sorted(kinds))}")
        return pick(args)
    return builtin


_BUILTINS: dict[str, tuple[Callable[..., Any], int, int | None]] = {  # (fn, min args, max args)
    "selected": (_selected, 2, 2), "count": (lambda v: len(_items("count", v)), 1, 1),
    "coalesce": (lambda *args: next((a for a in args if a is not None), None), 1, None),
    "len": (_unary("len", {"string", "list"}, len), 1, 1),
    "min": (_extreme("min", min), 1, None), "max": (_extreme("max", max), 1, None),
    "abs": (_unary("abs", {"number"}, abs), 1, 1),
    "int": (_unary("int", {"number", "string"}, _to_int), 1, 1)}


BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {k: v[0] for k, v in _BUILTINS.items()}


# --------------------------------------------------------------------- tokenizer
_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARS = _NAME_START | _DIGITS
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_OPERATORS = ("==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "(", ")", ",")


def _scan(text: str, i: int, chars: frozenset[str]) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    """(kind, value, position) tuples; kinds: num str ref cur name kw op, then eof."""
    tokens: list[tuple[str, Any, int]] = []
    i, n = 0, len(text)
    while i < n:
        start, ch = i, text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and text[i + 1:i + 2] in _DIGITS):
            i = _scan(text, i, _DIGITS)
            if text[i:i + 1] == "." and text[i + 1:i + 2] in _DIGITS:
                i = _scan(text, i + 1, _DIGITS)
            tokens.append(("num", (float if "." in text[start:i] else int)(text[start:i]), start))
        elif ch in "'\"":
            i, parts = i + 1, []
            while i < n and text[i] != ch:
                if text[i] == "\\" and i + 1 < n:
                    if text[i + 1] not in "\\'\"":
                        raise ParseError(f"invalid escape '\\{text[i + 1]}' (use \\' \\\" or \\\\)",
                                         i, text)
                    i += 1
                parts.append(text[i])
                i += 1
            if i >= n:
                raise ParseError("unterminated string", start, text)
            tokens.append(("str", "".join(parts), start))
            i += 1
        elif text.startswith("${", i):
            i += 1
            while i == start + 1 or text[i:i + 1] == ".":       # dot-separated name segments
                i = _scan(text, i + 1, _NAME_CHARS)
                if text[i - 1] in "{.":
                    raise ParseError("expected a field name (letters, digits, '_' and '.')", i, text)
            if text[i:i + 1] != "}":
                raise ParseError("expected '}' to close '${'", i, text)
            tokens.append(("ref", text[start + 2:i], start))
            i += 1
        elif ch in _NAME_START:
            i = _scan(text, i, _NAME_CHARS)
            tokens.append(("kw" if text[start:i] in _KEYWORDS else "name", text[start:i], start))
        elif ch == ".":
            tokens.append(("cur", None, start))
            i += 1
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise ParseError(f"unexpected character {ch!r}", i, text)
            tokens.append(("op", op, start))
            i += len(op)
    tokens.append(("eof", None, n))
    return tokens


# ------------------------------------------------------------------------ parser
_NOT_CONST = object()
# A compiled sub-expression: a closure over ctx = (lookup, current, functions), its
# start position and, for literals, its value.
_Node = collections.namedtuple("_Node", "fn pos const", defaults=(_NOT_CONST,))


class _Parser:
    def __init__(self, text: str, known: frozenset[str] | None):
        self.text, self.known, self.tokens = text, known, _tokenize(text)
        self.i = self.depth = 0
        self.refs: set[str] = set()

    def fail(self, expected: str) -> ParseError:
        kind, value, pos = self.tokens[self.i]
        found = {"eof": "end of expression", "str": "a string", "ref": f"${{{value}}}",
                 "cur": "'.'"}.get(kind, f"'{value}'")
        return ParseError(f"expected {expected}, found {found}", pos, self.text)

    def take(self, kind: str, value: str) -> bool:
        found = self.tokens[self.i][:2] == (kind, value)
        self.i += found
        return found

    def nested(self, pos: int, parse: Callable[[], Any]) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"expression is nested too deeply (limit {MAX_DEPTH})", pos, self.text)
        result = parse()
        self.depth -= 1
        return result

    def items(self, allow_empty: bool) -> list[_Node]:
        """Comma-separated expressions up to and including ')'."""
        nodes = [] if allow_empty and self.take("op", ")") else [self.logic("or")]
        while nodes and self.take("op", ","):
            nodes.append(self.logic("or"))
        if nodes and not self.take("op", ")"):
            raise self.fail("')' or ','")
        return nodes

    def parse(self) -> _Node:
        node = self.logic("or")
        if self.tokens[self.i][0] != "eof":
            raise self.fail("an operator or end of expression")
        return node

    def logic(self, word: str) -> _Node:
        sub = (lambda: self.logic("and")) if word == "or" else self.negation
        nodes = [sub()]
        while self.take("kw", word):
            nodes.append(sub())
        if len(nodes) == 1:
            return nodes[0]
        stop, steps = word == "or", [(n.fn, n.pos) for n in nodes]

        def kleene(c: tuple) -> Any:      # 'or' stops at true, 'and' at false
            unknown = False
            for fn, pos in steps:
                v = _logical(word, fn(c), pos)
                if v is stop:
                    return stop
                unknown = unknown or v is None
            return None if unknown else not stop
        return _Node(kleene, nodes[0].pos)

    def negation(self) -> _Node:
        pos = self.tokens[self.i][2]
        if not self.take("kw", "not"):
            return self.comparison()
        inner = self.nested(pos, self.negation)
        f, ipos = inner.fn, inner.pos
        return _Node(lambda c: _NOT[_logical("not", f(c), ipos)], pos)

    def comparison(self) -> _Node:
        left = self.additive()
        kind, op, pos = self.tokens[self.i]
        if kind == "op" and op in _COMPARISONS:
            self.i += 1
            right = self.additive()
            if left.const is None or right.const is None:      # '= null' tests for null
                f, want = (left if right.const is None else right).fn, op != "!="
                node = _Node(lambda c: (f(c) is None) is want, left.pos)
            else:
                node = self._chain(left, [(_BINARY[op], right.fn, pos)])
        elif self.take("kw", "in") or self.take("kw", "not"):
            if op == "not" and not self.take("kw", "in"):
                raise self.fail("'in' after 'not'")
            if not self.take("op", "("):
                raise self.fail("'(' after 'in'")
            node = _membership(left, self.nested(pos, lambda: self.items(False)), op == "not")
        else:
            return left
        kind, op, pos = self.tokens[self.i]
        if (kind == "op" and op in _COMPARISONS) or (kind == "kw" and op in ("in", "not")):
            raise ParseError("comparisons cannot be chained; combine them with 'and'", pos, self.text)
        return node

    def additive(self) -> _Node:
        return self.binary(("+", "-"), lambda: self.binary(("*", "/"), self.unary))

    def binary(self, ops: tuple[str, ...], sub: Callable[[], _Node]) -> _Node:
        first, steps = sub(), []
        while self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in ops:
            _, op, pos = self.tokens[self.i]
            self.i += 1
            steps.append((_BINARY[op], sub().fn, pos))
        return self._chain(first, steps) if steps else first

    @staticmethod
    def _chain(first: _Node, steps: list[tuple[Callable[..., Any], Callable[[tuple], Any], int]]) -> _Node:
        f0 = first.fn
        if len(steps) == 1:
            apply, f1, pos = steps[0]
            return _Node(lambda c: apply(f0(c), f1(c), pos), first.pos)

        def chain(c: tuple) -> Any:      # iterative, so long flat chains do not recurse
            acc = f0(c)
            for apply, fn, pos in steps:
                acc = apply(acc, fn(c), pos)
            return acc
        return _Node(chain, first.pos)

    def unary(self) -> _Node:
        pos = self.tokens[self.i][2]
        if not self.take("op", "-"):
            return self.primary()
        inner = self.nested(pos, self.unary)
        if type(inner.const) in _FAST:
            value = -inner.const
            return _Node(lambda c: value, pos, value)
        f = inner.fn
        return _Node(lambda c: _neg(f(c), pos), pos)

    def primary(self) -> _Node:
        kind, value, pos = self.tokens[self.i]
        self.i += 1
        if kind in ("num", "str") or (kind == "kw" and value in ("true", "false", "null")):
            value = {"true": True, "false": False, "null": None}.get(value, value) if kind == "kw" else value
            return _Node(lambda c: value, pos, value)
        if kind == "ref":
            self.refs.add(value)
            return _Node(lambda c: c[0](value), pos)
        if kind == "cur":
            return _Node(lambda c: c[1], pos)
        if (kind, value) == ("op", "("):
            node = self.nested(pos, lambda: self.logic("or"))
            if not self.take("op", ")"):
                raise self.fail("')'")
            return node
        if kind != "name":
            self.i -= 1
            raise self.fail("a value")
        if not self.take("op", "("):
            raise ParseError(f"unknown name '{value}' (write field references as ${{{value}}})",
                             pos, self.text)
        if self.known is not None and value not in _BUILTINS and value not in self.known:
            raise ParseError(f"unknown function '{value}'", pos, self.text)
        args = self.nested(pos, lambda: self.items(True))
        lo, hi = _BUILTINS[value][1:] if value in _BUILTINS else (0, None)
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise ParseError(f"{value}() takes {lo if lo == hi else f'at least {lo}'} argument(s), "
                             f"got {len(args)}", pos, self.text)
        return _call(value, [a.fn for a in args], pos)


def _membership(left: _Node, items: list[_Node], negate: bool) -> _Node:
    f, fns, consts = left.fn, [n.fn for n in items], [n.const for n in items]
    # A list of number/string literals is checked with one frozenset lookup.
    fast = frozenset(consts) if all(type(v) in (int, float, str) for v in consts) else None

    def member(c: tuple) -> Any:
        v = f(c)
        if v is None:
            return None
        if fast is not None and type(v) in (int, float, str):
            return (v in fast) is not negate
        unknown = False
        for fn in fns:
            w = fn(c)
            if w is not None and _equal(v, w):
                return not negate
            unknown = unknown or w is None
        return None if unknown else negate
    return _Node(member, left.pos)


def _call(name: str, argfns: list[Callable[[tuple], Any]], pos: int) -> _Node:
    builtin = BUILTIN_FUNCTIONS.get(name)

    def call(c: tuple) -> Any:
        args = [f(c) for f in argfns]
        fn = c[2].get(name, builtin) if c[2] else builtin
        if fn is None:
            raise EvalError(f"unknown function '{name}'", pos)
        try:
            return fn(*args)
        except ExprError as exc:
            if exc.position is not None:
                raise
            raise EvalError(exc.message, pos) from exc.__cause__
        except Exception as exc:
            raise EvalError(f"function '{name}' failed: {type(exc).__name__}: {exc}", pos) from exc
    return _Node(call, pos)


# --------------------------------------------------------------------------- API
class Expr:
    """A parsed expression; immutable and safe to share between threads."""

    __slots__ = ("text", "_fn", "_refs")

    def __init__(self, text: str, fn: Callable[[tuple], Any], refs: frozenset[str]):
        self.text, self._fn, self._refs = text, fn, refs

    def evaluate(self, lookup: Callable[[str], Any] | Mapping[str, Any], current: Any = None,
                 functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
        """Evaluate.  ``lookup(name)`` resolves ``${name}`` (None when missing; a mapping
        works too), ``current`` is the value of ``.``.  Errors raised by ``lookup``
        itself propagate unchanged."""
        if not callable(lookup):
            lookup = lookup.get
        try:
            return self._fn((lookup, current, functions))
        except ExprError as exc:
            if exc.expression:
                raise
            raise EvalError(exc.message, exc.position, self.text) from exc.__cause__

    def references(self) -> frozenset[str]:
        """Names referenced via ``${...}``."""
        return self._refs

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, functions: frozenset[str] | None) -> Expr:
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is too long ({len(text)} characters, limit {MAX_LENGTH})",
                         MAX_LENGTH, text)
    parser = _Parser(text, functions)
    return Expr(text, parser.parse().fn, frozenset(parser.refs))


def parse(text: str, functions: frozenset[str] | None = None) -> Expr:
    """Parse ``text`` (cached on text and functions).  With ``functions`` given, calls
    to names that are neither builtins nor listed are a ParseError; without, they fail
    at evaluation unless the caller passes that function."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if functions is not None and not isinstance(functions, frozenset):
        functions = frozenset(functions)
    return _parse_cached(text, functions)


parse.cache_info = _parse_cached.cache_info    # type: ignore[attr-defined]
parse.cache_clear = _parse_cached.cache_clear  # type: ignore[attr-defined]


def evaluate(text: str, lookup: Callable[[str], Any] | Mapping[str, Any], current: Any = None,
             functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """Parse (cached) and evaluate ``text`` in one step."""
    known = None if functions is None else frozenset(functions)
    return parse(text, known).evaluate(lookup, current, functions)

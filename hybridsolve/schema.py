"""What a case parameter may be: per-field rules declared next to the dataclass fields.

A case kind's params dataclass declares each field's allowed values with :func:`param` (ranges,
allowed strings, list lengths and items), and rules between fields in a ``validate()`` method that
raises :class:`ParamError`. :func:`check_params` applies both; the case loader
(:func:`hybridsolve.cases.load_case`) calls it after the types are checked, so ``describe``,
``list`` and ``run`` refuse a bad value before any work, in one line naming the file, the key, the
value and what is allowed.

>>> from dataclasses import dataclass
>>> @dataclass
... class P:
...     n: int = param(64, ge=2, why="a grid needs at least 2 intervals")
...     lr: float = param(1e-3, gt=0)
...     activation: str = param("tanh", choices=("tanh", "relu"))
...     widths: list[int] = param(factory=lambda: [1, 8, 1], min_len=2, each=dict(ge=1))
...     def __post_init__(self):
...         check_params(self)
>>> P(n=4).n
4
>>> P(n=-4)
Traceback (most recent call last):
...
hybridsolve.schema.ParamError: key 'n' = -4: must be an integer >= 2 (a grid needs at least 2 intervals)
>>> P(widths=[1, 0, 1])
Traceback (most recent call last):
...
hybridsolve.schema.ParamError: key 'widths' = [1, 0, 1]: must be a list of at least 2 entries, each an integer >= 1
>>> rule_of(P, "activation").allowed(str)
"one of 'tanh', 'relu'"
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Rule", "param", "ParamError", "check_params", "rule_of", "shown"]

_NO_DEFAULT = dataclasses.MISSING


class ParamError(ValueError):
    """A parameter value that is not allowed: ``key``, ``value`` and ``allowed`` (words); ``message``
    replaces the standard wording ``key 'k' = value: must be allowed``."""

    def __init__(self, key: str, value, allowed: str, message: str | None = None):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(message or f"key {key!r} = {shown(value)}: must be {allowed}")


def shown(value) -> str:
    """``value`` as it would be written in a case file (TOML-ish, short).

    >>> shown("swish"), shown([1, 2]), shown(True), shown(float("nan")), shown(None)
    ('"swish"', '[1, 2]', 'true', 'nan', 'none')
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else ("inf" if value > 0 else "-inf"))
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(shown(v) for v in value) + "]"
        return text if len(text) <= 80 else text[:77] + "...]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


@dataclass(frozen=True)
class Rule:
    """Allowed values of one field. Numbers: ``ge``/``gt``/``le``/``lt`` bounds, finite unless
    ``finite=False``; strings: ``choices``; lists: ``min_len``/``max_len``, ``unique``, and ``each``
    (a Rule, or a dict of Rule arguments, for every item). ``None`` is allowed wherever the type
    admits it. ``why``: a short reason added to the message."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    finite: bool = True
    choices: tuple | None = None
    min_len: int | None = None
    max_len: int | None = None
    unique: bool = False
    each: Any = None
    why: str = ""

    def __post_init__(self):
        if isinstance(self.each, dict):
            object.__setattr__(self, "each", Rule(**self.each))
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    # -- words --------------------------------------------------------------------------------------
    def _bounds(self) -> str:
        parts = [f"{op} {_num(v)}" for op, v in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
                 if v is not None]
        if len(parts) == 2 and parts[0][0] == ">" and parts[1][0] == "<":
            lo = "[" if self.ge is not None else "("
            hi = "]" if self.le is not None else ")"
            a = self.ge if self.ge is not None else self.gt
            b = self.le if self.le is not None else self.lt
            return f"in {lo}{_num(a)}, {_num(b)}{hi}"
        return " and ".join(parts)

    def allowed(self, kind=float) -> str:
        """What the rule allows for values of Python type ``kind`` (int, float, str, list), in words."""
        if kind is str:
            return "one of " + ", ".join(map(repr, self.choices)) if self.choices else "a string"
        if kind in (list, tuple):
            n = ("a non-empty list" if self.min_len == 1 else f"a list of at least {self.min_len} entries"
                 if self.min_len else "a list")
            if self.max_len is not None:
                n += f" of at most {self.max_len} entries"
            if self.unique:
                n += " without repeats"
            if self.each is not None:
                n += ", each " + self.each.allowed(self.each._kind_hint())
            return n
        noun = "an integer" if kind is int else "a finite number" if self.finite else "a number"
        b = self._bounds()
        return f"{noun} {b}" if b else noun

    def _kind_hint(self):
        if self.choices:
            return str
        bounds = [v for v in (self.ge, self.gt, self.le, self.lt) if v is not None]
        return int if bounds and all(isinstance(v, int) for v in bounds) else float

    def _suffix(self) -> str:
        return f" ({self.why})" if self.why else ""

    # -- checking -----------------------------------------------------------------------------------
    def ok(self, value) -> bool:
        """Whether ``value`` (of a type the field admits) is allowed."""
        if value is None or isinstance(value, bool):
            return True
        if isinstance(value, str):
            return self.choices is None or value in self.choices
        if isinstance(value, (int, float)):
            v = float(value)
            if math.isnan(v) or (self.finite and not math.isfinite(v)):
                return False
            return ((self.ge is None or v >= self.ge) and (self.gt is None or v > self.gt)
                    and (self.le is None or v <= self.le) and (self.lt is None or v < self.lt))
        if isinstance(value, (list, tuple)):
            if self.min_len is not None and len(value) < self.min_len:
                return False
            if self.max_len is not None and len(value) > self.max_len:
                return False
            if self.unique and len({json.dumps(v, sort_keys=True, default=str) for v in value}) != len(value):
                return False
            return self.each is None or all(self.each.ok(v) for v in value)
        return True

    def check(self, key: str, value) -> None:
        """Raise :class:`ParamError` naming ``key`` unless ``value`` is allowed."""
        if not self.ok(value):
            kind = list if isinstance(value, (list, tuple)) else str if isinstance(value, str) else \
                int if isinstance(value, int) else float
            raise ParamError(key, value, self.allowed(kind) + self._suffix())


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def param(default=_NO_DEFAULT, *, factory: Callable | None = None, **rule):
    """A dataclass field with a :class:`Rule` (``field(metadata={"rule": ...})``): ``default`` or
    ``factory`` as in :func:`dataclasses.field`, the rule's arguments as keywords.

    >>> from dataclasses import dataclass, fields
    >>> @dataclass
    ... class Q:
    ...     steps: int = param(10, ge=0)
    >>> fields(Q)[0].metadata["rule"].allowed(int)
    'an integer >= 0'
    """
    meta = {"rule": Rule(**rule)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def rule_of(cls, name: str) -> Rule | None:
    """The :class:`Rule` declared for field ``name`` of dataclass ``cls`` (None if it has none)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("rule")
    raise KeyError(name)


def check_params(obj) -> None:
    """Check every field of dataclass instance ``obj`` against its rule (in field order), then
    ``obj.validate()`` when the class has one. Raises :class:`ParamError` for the first bad value."""
    for f in dataclasses.fields(obj):
        rule = f.metadata.get("rule")
        if rule is not None:
            rule.check(f.name, getattr(obj, f.name))
    validate = getattr(obj, "validate", None)
    if callable(validate):
        validate()

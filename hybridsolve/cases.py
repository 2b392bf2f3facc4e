"""Case files (TOML) → validated dataclasses → runs → a results directory.

A case file names a *kind* (an experiment registered with :func:`register_kind`), its ``[params]``
and a ``[smoke]`` table of overrides that make a CI-size run::

    kind = "poisson"
    description = "Multiscale 2-D Poisson problem with every classical solver"
    [params]
    problem = "multiscale_2d"
    n = 256
    [smoke]
    n = 32

Unknown keys and wrong types are errors naming the key and the file. ``overrides`` (the CLI's
``--set params.n=2048 --set smoke.steps=10``) change the tables before validation, typed by the same
schema (:func:`parse_override`), and are recorded in ``config.toml``. A run writes into one
directory: ``config.toml`` (the resolved case), ``history.npz``/``history.json`` (and other
histories), ``summary.json`` and PNG figures; writes are atomic, and ``summary.json`` is written
with ``"status": "running"`` first so an interrupted run is recognisable and keeps its records.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import json
import logging
import os
import pkgutil
import platform
import re
import signal
import threading
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as the package tomli (a dependency there)
    import tomli as tomllib

from . import rundir
from .history import History
from .schema import ParamError, check_params, param, shown

__all__ = ["register_kind", "kinds", "RunContext", "RunInterrupted", "Case", "load_case", "run_case", "find_cases",
           "bundled_cases_dir", "resolve_case_path", "from_dict", "parse_override", "default_out", "CaseError",
           "param"]

_log = logging.getLogger(__name__)


class CaseError(ValueError):
    """A case file that does not validate (names the file and the key)."""


@dataclass
class _Kind:
    name: str
    params: type
    runner: Callable
    module: str
    resume: bool | str = False   # True: --resume continues a run; a string: why this kind cannot resume
    preflight: Callable | None = None  # preflight(params): checks that need the problem built (before any run)

    @property
    def resumable(self) -> bool:
        return self.resume is True


_KINDS: dict[str, _Kind] = {}
_DISCOVERED = False
IMPORT_ERRORS: dict[str, str] = {}  # experiment modules that failed to import, with the error


def register_kind(name: str, params: type, *, resume: bool | str = False, preflight: Callable | None = None):
    """Decorator registering ``runner(params, ctx) -> dict`` as the case kind ``name``.

    ``resume=True``: the runner continues an interrupted run when ``ctx.resume`` is set (from its
    checkpoints and saved records); otherwise ``--resume`` is refused before anything runs, with
    ``resume`` (a string) as the reason when one is given. ``preflight(params)``: checks that need more
    than the params (the problem built, the solvers' own option checks); run by ``run`` and ``describe``
    before anything is written, raising ValueError (a :class:`~hybridsolve.schema.ParamError`) for a bad value.
    """
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"params for kind {name!r} must be a dataclass")

    def deco(runner):
        _KINDS[name] = _Kind(name, params, runner, runner.__module__, resume, preflight)
        return runner

    return deco


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    from . import experiments

    for mod in pkgutil.iter_modules(experiments.__path__):
        name = f"{experiments.__name__}.{mod.name}"
        try:
            importlib.import_module(name)
        except Exception as exc:  # one broken experiment must not hide the others; reported below
            IMPORT_ERRORS[name] = f"{type(exc).__name__}: {exc}"
    _DISCOVERED = True


def kinds() -> dict[str, _Kind]:
    """All registered case kinds (importing every module of ``hybridsolve.experiments``)."""
    _discover()
    return dict(_KINDS)


# -- validation -------------------------------------------------------------------------------
def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value, tp, where: str):
    """Check ``value`` against type hint ``tp``; ints are accepted for floats. Returns the value."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for a in args:
            try:
                return _coerce(value, a, where)
            except CaseError as e:
                errors.append(str(e))
        raise CaseError(f"{where} must be {' or '.join(_type_name(a) for a in args)}; got {value!r}")
    if tp is type(None):
        if value is None:
            return None
        raise CaseError(f"{where} must be None; got {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise CaseError(f"{where} must be one of {', '.join(map(repr, args))}; got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise CaseError(f"{where} must be a list; got {type(value).__name__} {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise CaseError(f"{where} must have {len(args)} entries; got {len(value)}")
            return tuple(_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        inner = args[0] if args else Any
        items = [_coerce(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise CaseError(f"{where} must be a table; got {value!r}")
        vt = args[1] if len(args) == 2 else Any
        return {k: _coerce(v, vt, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise CaseError(f"{where} must be a table; got {value!r}")
        return from_dict(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CaseError(f"{where} must be a number; got {type(value).__name__} {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CaseError(f"{where} must be an integer; got {type(value).__name__} {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise CaseError(f"{where} must be true or false; got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise CaseError(f"{where} must be a string; got {type(value).__name__} {value!r}")
        return value
    if isinstance(value, tp):
        return value
    raise CaseError(f"{where} must be {_type_name(tp)}; got {value!r}")


def from_dict(cls, data: dict, where: str = "params", check: bool = True):
    """Build dataclass ``cls`` from ``data``, validating keys and types against its annotations, and
    (``check``) the values against the fields' rules (:mod:`hybridsolve.schema`).

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class P:
    ...     n: int = 8
    ...     tol: float = 1e-3
    >>> from_dict(P, {"n": 16, "tol": 1})
    P(n=16, tol=1.0)
    >>> from_dict(P, {"m": 1}, "demo.toml [params]")
    Traceback (most recent call last):
    ...
    hybridsolve.cases.CaseError: demo.toml [params]: unknown key 'm'; valid keys: n, tol
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise CaseError(f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(fields)}")
    kwargs = {k: _coerce(v, hints[k], f"{where}: key {k!r}") for k, v in data.items()}
    missing = [k for k, f in fields.items() if k not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise CaseError(f"{where}: missing required key {missing[0]!r}")
    try:
        obj = cls(**kwargs)
        if check:
            check_params(obj)
    except ParamError as exc:
        raise CaseError(f"{where}: {exc}") from None
    except (ValueError, TypeError) as exc:  # __post_init__ checks
        raise CaseError(f"{where}: {exc}") from None
    return obj


# -- case files -------------------------------------------------------------------------------
@dataclass
class Case:
    """A validated case: ``kind``, ``params`` (the kind's dataclass), the file it came from."""

    name: str
    kind: str
    description: str
    params: Any
    path: Path | None
    smoke: bool = False
    raw: dict = field(default_factory=dict, repr=False)
    overrides: dict = field(default_factory=dict)

    def resolved(self) -> dict:
        """The resolved case as a TOML-ready dict (what ``config.toml`` holds): ``params`` as run, and
        the command line's ``--set`` overrides (typed) in ``overrides`` when there were any."""
        params = _toml_ready(dataclasses.asdict(self.params))
        out = {"name": self.name, "kind": self.kind, "description": self.description,
               "smoke": self.smoke, "params": params}
        if self.overrides:
            out["overrides"] = {k: v for k, v in _toml_ready(self.overrides).items()}
        return out


_TOP_KEYS = ("kind", "description", "params", "smoke", "name")


def load_case(path, smoke: bool = False, overrides=()) -> Case:
    """Read and validate a case file; with ``smoke`` the ``[smoke]`` overrides are applied.

    ``overrides``: ``"section.key=value"`` strings (the CLI's ``--set``), or a dict ``{"params.n": 64}``
    (a string value is read as on the command line), applied to the file's ``[params]`` (``params.…``)
    or ``[smoke]`` (``smoke.…``) table before validation; see :func:`parse_override`.

    >>> case = load_case(resolve_case_path("poisson_2d"), smoke=True, overrides=["smoke.n=16", "params.rtol=1e-6"])
    >>> case.params.n, case.params.rtol, case.overrides
    (16, 1e-06, {'smoke.n': 16, 'params.rtol': 1e-06})
    """
    path = Path(path)
    raw = _read_toml(path)
    unknown = [k for k in raw if k not in _TOP_KEYS]
    if unknown:
        raise CaseError(f"{path}: unknown top-level key {unknown[0]!r}; valid keys: {', '.join(_TOP_KEYS)}")
    registry = kinds()
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str):
        what = "is missing" if kind_name is None else f"= {shown(kind_name)}"
        raise CaseError(f"{path}: key 'kind' {what}: must name an experiment kind, one of "
                        f"{', '.join(sorted(registry))}")
    if kind_name not in registry:
        broken = "".join(f" (module {m} failed to import: {e})" for m, e in IMPORT_ERRORS.items())
        raise CaseError(f"{path}: unknown kind {kind_name!r}; valid kinds: {', '.join(sorted(registry))}{broken}")
    name = raw.get("name", path.stem)
    _check_name(name, path)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise CaseError(f"{path}: key 'description' = {shown(description)}: must be a string")
    params = raw.get("params", {})
    smoke_table = raw.get("smoke", {})
    for key, table in (("params", params), ("smoke", smoke_table)):
        if not isinstance(table, dict):
            raise CaseError(f"{path}: [{key}] must be a table")
    cls = registry[kind_name].params
    applied = {}
    if overrides:
        params, smoke_table = copy.deepcopy(params), copy.deepcopy(smoke_table)
        items = overrides.items() if isinstance(overrides, dict) else (_split_override(o) for o in overrides)
        for key, value in items:
            section, parts, typed = parse_override(cls, key, value)
            _set_nested(params if section == "params" else smoke_table, parts, typed, key)
            applied[key] = typed
    given = " with --set " + " ".join(f"{k}={_shown_value(v)}" for k, v in applied.items()) if applied else ""
    if smoke:
        shadowed = [k for k in applied if k.startswith("params.") and k.split(".")[1] in smoke_table]
        for k in shadowed:
            top = k.split(".")[1]
            _log.warning("--set %s has no effect in this --smoke run: the case's [smoke] table sets %s = %s "
                         "(use --set smoke.%s=... to change it)", k, top, _shown_value(smoke_table[top]),
                         k.split(".", 1)[1])
    # the run's own combination first, then the other one, so that a case that is valid as given but
    # broken with (or without) its [smoke] table is refused by describe and list as well as by run
    full, small = dict(params), {**params, **smoke_table}
    where_full, where_small = f"{path} [params]{given}", f"{path} [params] with [smoke]{given}"
    if smoke:
        p = from_dict(cls, small, where_small)
        from_dict(cls, full, where_full)
    else:
        p = from_dict(cls, full, where_full)
        from_dict(cls, smoke_table, f"{path} [smoke]{given}", check=False)  # keys and types of the table alone
        from_dict(cls, small, where_small)
    return Case(name=name, kind=kind_name, description=description, params=p,
                path=path, smoke=smoke, raw=raw, overrides=applied)


def _read_toml(path: Path) -> dict:
    """The TOML document at ``path``; CaseError (one line) for a missing, unreadable, binary or invalid file."""
    if not path.exists():
        raise CaseError(f"case file {path} does not exist")
    if path.is_dir():
        raise CaseError(f"case file {path} is a directory, not a TOML file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseError(f"case file {path} cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: not a UTF-8 text file (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                        "a case file is TOML text") from None
    if "\x00" in text:
        raise CaseError(f"{path}: not a text file (it contains NUL bytes); a case file is TOML text")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: not valid TOML: {exc}") from None


_NAME_OK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def _check_name(name, path) -> None:
    """A case ``name`` becomes the directory ``results/<name>``: one plain path component."""
    if not isinstance(name, str) or not _NAME_OK.match(name) or ".." in name or len(name) > 120:
        raise CaseError(f"{path}: key 'name' = {shown(name)}: must be a plain name for results/<name> (letters, "
                        "digits, '_', '-', '.', '+'; no '/', no '..', not absolute, at most 120 characters)")


# -- command-line overrides (--set section.key=value) ---------------------------------------------
_SECTIONS = ("params", "smoke")


def _split_override(text) -> tuple[str, str]:
    if not isinstance(text, str) or "=" not in text:
        raise CaseError(f"--set {text}: expected section.key=value, e.g. params.n=2048 or smoke.steps=10")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _shown_value(v) -> str:
    return json.dumps(v) if isinstance(v, (list, dict, str)) else ("true" if v is True else "false" if v is False
                                                                  else str(v))


def _describe(tp) -> str:
    """``tp`` in words, for error messages."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return "any value"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "none"
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin in (list, tuple) or tp in (list, tuple):
        inner = args[0] if args else Any
        ex = {int: " (e.g. [0,100,200])", float: " (e.g. [0.5,1e-3])", str: ' (e.g. [a,b] or ["a","b"])'}.get(inner, "")
        return f"a list of {_describe(inner).removeprefix('an ').removeprefix('a ')}s{ex}" if inner in (int, float, str) \
            else f"a list of {_describe(inner)}{ex}"
    if origin is dict or tp is dict or dataclasses.is_dataclass(tp):
        return "a table (TOML inline table, e.g. {key = 1})"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, _type_name(tp))


def _admits(tp, want) -> bool:
    """Whether type hint ``tp`` accepts values of the kind ``want`` (None, bool, list)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_admits(a, want) for a in typing.get_args(tp))
    if want == "none":
        return tp is type(None)
    if want == "bool":
        return tp is bool
    if want == "list":
        return origin in (list, tuple) or tp in (list, tuple)
    return False


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _candidates(text: str, tp):
    """Readings of a command-line value, most specific first: TOML (``2048``, ``1e-3``, ``true``,
    ``[0,100,200]``, ``"x"``, ``{a = 1}``), none/booleans in words, a list without quotes or
    brackets (``a,b``), and last the text itself as a string (an untyped value, inside a free-form
    table: TOML, else the text)."""
    try:
        yield tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    low = text.lower()
    if _admits(tp, "none") and low in ("none", "null"):
        yield None
    if _admits(tp, "bool") and low in _TRUE + _FALSE:
        yield low in _TRUE
    if _admits(tp, "list"):
        body = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        items = [t.strip() for t in body.split(",")] if body.strip() else []
        out = []
        for item in items:
            try:
                out.append(tomllib.loads(f"v = {item}")["v"])
            except tomllib.TOMLDecodeError:
                out.append(item)
        yield out
    yield text


def _override_type(cls, section: str, parts: list, key: str):
    """The type hint of the (nested) field ``parts`` of dataclass ``cls``; CaseError for an unknown key."""
    tp, where = cls, section
    for i, part in enumerate(parts):
        if typing.get_origin(tp) in (typing.Union, types.UnionType):  # e.g. dict | None: the table member
            tables = [a for a in typing.get_args(tp) if dataclasses.is_dataclass(a) or a is dict
                      or typing.get_origin(a) is dict or a is Any]
            tp = tables[0] if tables else tp
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            names = [f.name for f in dataclasses.fields(tp) if f.init]
            if part not in names:
                raise CaseError(f"--set {key}: unknown key {part!r} in [{where}]; valid keys: {', '.join(names)}")
            tp = hints[part]
        elif tp is dict or typing.get_origin(tp) is dict:
            args = typing.get_args(tp)
            tp = args[1] if len(args) == 2 else Any
        elif tp is not Any:
            raise CaseError(f"--set {key}: [{where}] is {_describe(tp)}, not a table; it has no key {part!r}")
        where = f"{where}.{part}"
    return tp


def parse_override(cls, key: str, value):
    """One ``--set`` override for a case whose params are dataclass ``cls``: ``key`` is
    ``params.FIELD`` or ``smoke.FIELD`` (nested tables: ``params.options.multigrid.fmg``), ``value``
    a command-line string converted to the field's type (int, float, bool, str, lists of these,
    TOML syntax), or an already typed value. Returns ``(section, key parts, typed value)``; an
    unknown key or a value of the wrong type is a one-line CaseError naming the key, the value and
    the expected type.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class P:
    ...     n: int = 8
    ...     tol: float = 1e-3
    ...     Ms: list[int] = field(default_factory=list)
    ...     fast: bool = False
    >>> parse_override(P, "params.n", "2048"), parse_override(P, "smoke.tol", "1")
    (('params', ['n'], 2048), ('smoke', ['tol'], 1.0))
    >>> parse_override(P, "params.Ms", "[0,100,200]")[2], parse_override(P, "params.Ms", "0,100")[2]
    ([0, 100, 200], [0, 100])
    >>> parse_override(P, "params.fast", "yes")[2]
    True
    >>> parse_override(P, "params.n", "2.5")
    Traceback (most recent call last):
    ...
    hybridsolve.cases.CaseError: --set params.n=2.5: params.n expects an integer; got '2.5'
    >>> parse_override(P, "params.m", "1")
    Traceback (most recent call last):
    ...
    hybridsolve.cases.CaseError: --set params.m: unknown key 'm' in [params]; valid keys: n, tol, Ms, fast
    """
    section, _, rest = str(key).partition(".")
    if section not in _SECTIONS or not rest or any(not p for p in rest.split(".")):
        raise CaseError(f"--set {key}: the key must be params.NAME or smoke.NAME (e.g. params.n=2048, "
                        f"smoke.steps=10)")
    parts = rest.split(".")
    tp = _override_type(cls, section, parts, key)
    candidates = _candidates(value.strip(), tp) if isinstance(value, str) else iter([value])
    for cand in candidates:
        try:
            return section, parts, _coerce(cand, tp, key)
        except CaseError:
            continue
    shown = value if isinstance(value, str) else _shown_value(value)
    raise CaseError(f"--set {key}={shown}: {key} expects {_describe(tp)}; got {shown!r}")


def _set_nested(table: dict, parts: list, value, key: str) -> None:
    for part in parts[:-1]:
        nxt = table.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise CaseError(f"--set {key}: {part!r} is {_shown_value(nxt)} in the case file, not a table")
        table = nxt
    table[parts[-1]] = value


def bundled_cases_dir() -> Path | None:
    """The directory of the case files that come with hybridsolve, or None if there is none.

    An installed package carries them in ``hybridsolve/_cases/`` (the wheel maps the repository's
    top-level ``cases/`` there); a checkout (editable install, or ``PYTHONPATH``) uses ``cases/``
    beside the package.

    >>> (bundled_cases_dir() / "poisson_2d.toml").exists()
    True
    """
    here = Path(__file__).resolve().parent
    for cand in (here / "_cases", here.parent / "cases"):
        if cand.is_dir() and any(cand.glob("*.toml")):
            return cand
    return None


def find_cases(directory=None) -> list[Path]:
    """The case files in ``directory`` (default: the bundled cases, :func:`bundled_cases_dir`), sorted.

    >>> "paper_fig4" in [p.stem for p in find_cases()]
    True
    """
    if directory is None:
        directory = bundled_cases_dir()
        if directory is None:
            return []
    return sorted(Path(directory).glob("*.toml"))


def resolve_case_path(spec) -> Path:
    """The case file that ``spec`` names: a path (``cases/x.toml``), or a case name ``x`` / ``x.toml``,
    looked up in ``./cases`` and then among the bundled cases (so names work from any directory).

    >>> resolve_case_path("paper_fig4").name
    'paper_fig4.toml'
    """
    p = Path(spec)
    if p.is_file():
        return p
    spec = str(spec)
    dirs = [Path("cases")]
    bundled = bundled_cases_dir()
    if bundled is not None:
        dirs.append(bundled)
    for d in dirs:
        for cand in (d / spec, d / f"{spec}.toml"):
            if cand.is_file():
                return cand
    where = ", ".join(str(d) for d in [Path("."), *dirs])
    raise CaseError(f"no case file {spec!r} (looked in {where}); `hybridsolve list` shows the cases")


# -- running ------------------------------------------------------------------------------------
class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM during a case run (a KeyboardInterrupt, so ``except KeyboardInterrupt`` sees both);
    ``signal`` is the signal's name."""

    def __init__(self, signum: int = signal.SIGINT):
        self.signum = int(signum)
        self.signal = signal.Signals(self.signum).name
        super().__init__(self.signal)


@contextlib.contextmanager
def _interrupt_handlers():
    """SIGINT and SIGTERM raise :class:`RunInterrupted` in the case runner (once: a second signal while
    the runner saves what it has is logged and ignored). Only in the main thread; restored on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    state = {"first": None}

    def handler(signum, frame):
        if state["first"] is not None:
            _log.warning("%s again: still saving what the run recorded (a moment; SIGKILL loses it)",
                         signal.Signals(signum).name)
            return
        state["first"] = signum
        raise RunInterrupted(signum)

    old = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig in old:
            signal.signal(sig, handler)
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h if h is not None else signal.SIG_DFL)


class RunContext:
    """What a case runner gets besides its params: where to write, and helpers that write atomically
    (with the permissions the umask gives).

    :meth:`log` is the runner's progress line: an INFO record on the logger of the runner's module
    (``hybridsolve.experiments.poisson`` …), shown only where logging is configured (the CLI does);
    ``verbose=False`` drops the lines. ``resume``: continue what an earlier, interrupted run of the
    same case recorded in this directory (kinds registered with ``resume=True``). A runner that is
    interrupted (SIGINT/SIGTERM raise :class:`RunInterrupted`, a KeyboardInterrupt) saves what it has
    and re-raises; :meth:`note` adds lines about it (e.g. the checkpoint's step) to the summary.
    """

    def __init__(self, out: Path, case: Case, progress=None, resume: bool = False, verbose: bool = True):
        self.out = Path(out)
        self.case = case
        kind = _KINDS.get(case.kind)
        self.logger = logging.getLogger(kind.module if kind is not None else __name__)
        self.smoke = case.smoke
        self.progress = progress
        self.resume = resume
        self.verbose = verbose
        self.files: list[str] = []
        self.notes: dict = {}
        self.out.mkdir(parents=True, exist_ok=True)

    def log(self, msg: str) -> None:
        if self.verbose:
            self.logger.info("[%s] %s", self.case.name, msg)

    def note(self, **info) -> None:
        """Facts for the summary (an interrupted run's ``checkpoint_step``, a resumed run's ``resumed_at`` …)."""
        self.notes.update(info)

    def path(self, name: str) -> Path:
        return self.out / name

    def _note(self, name: str) -> None:
        if name not in self.files:
            self.files.append(name)

    def fix_modes(self) -> None:
        """Files written by other writers (``tempfile`` makes them 0600) get the umask's permissions."""
        rundir.fix_modes(self.out)

    def save_history(self, history: History, name: str = "history") -> Path:
        history.save(self.out / name)
        self._note(f"{name}.json")
        self._note(f"{name}.npz")
        self.fix_modes()
        return self.out / f"{name}.json"

    def load_history(self, name: str = "history") -> History | None:
        """A history saved earlier in this directory (for resuming), or None."""
        p = self.out / f"{name}.json"
        return History.load(p) if p.exists() else None

    def save_figure(self, fig, name: str, dpi: int = 130) -> Path:
        from .plots.style import savefig

        target = savefig(fig, self.out / f"{name}.png", dpi=dpi)
        self._note(target.name)
        self.fix_modes()
        return target

    def save_json(self, obj, name: str) -> Path:
        """``<name>.json``: strict JSON (non-finite numbers as null, with a ``<key>_nonfinite`` reason)."""
        target = self.out / f"{name}.json"
        rundir.write_text(target, rundir.dumps_strict(_json_ready(obj), indent=2))
        self._note(target.name)
        return target

    def save_text(self, text: str, name: str) -> Path:
        target = self.out / name
        rundir.write_text(target, text)
        self._note(name)
        return target

    # -- state for --resume ------------------------------------------------------------------------
    def save_state(self, obj, name: str = "progress") -> Path:
        """Small JSON state a runner keeps for ``--resume`` (which stages finished, their numbers).
        NaN and infinities are kept (this file is read back by Python, not by other tools)."""
        from .history import to_json

        target = self.out / f"{name}.json"
        rundir.write_text(target, json.dumps(to_json(_json_ready(obj)), indent=1, allow_nan=True))
        self._note(target.name)
        return target

    def load_state(self, name: str = "progress") -> dict | None:
        """The state saved by :meth:`save_state` when resuming (None when not resuming or none saved)."""
        from .history import from_json

        p = self.out / f"{name}.json"
        if not self.resume or not p.exists():
            return None
        return from_json(json.loads(p.read_text()))


def preflight(case: Case) -> None:
    """The kind's pre-flight checks of ``case`` (see :func:`register_kind`); CaseError naming the file."""
    kind = _KINDS[case.kind]
    if kind.preflight is None:
        return
    given = " with --set " + " ".join(f"{k}={_shown_value(v)}" for k, v in case.overrides.items()) \
        if case.overrides else ""
    where = f"{case.path} [params]" + (" with [smoke]" if case.smoke else "") + given
    try:
        kind.preflight(case.params)
    except (ValueError, TypeError) as exc:
        raise CaseError(f"{where}: {exc}") from None


def default_out(case: Case) -> Path:
    """``results/<case name>`` (``-smoke`` appended for smoke runs), relative to the working directory.

    >>> str(default_out(load_case(resolve_case_path("poisson_2d"), smoke=True)))
    'results/poisson_2d-smoke'
    """
    return Path("results") / (case.name + ("-smoke" if case.smoke else ""))


def _config_difference(old: dict, new: dict) -> str | None:
    """The first difference between two resolved cases that matters for a resume, in words."""
    for key in ("kind", "smoke"):
        if old.get(key) != new.get(key):
            return f"{key} was {shown(old.get(key))}, now {shown(new.get(key))}"
    a, b = old.get("params", {}), new.get("params", {})

    def walk(x, y, where):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in list(x) + [k for k in y if k not in x]:
                d = walk(x.get(k), y.get(k), f"{where}.{k}")
                if d:
                    return d
            return None
        return None if x == y else f"{where} was {shown(x)}, now {shown(y)}"

    return walk(a, b, "params")


def _prepare(case: Case, out: Path, resume: bool, force: bool) -> tuple[rundir.Lock, dict, bool]:
    """Check, make and lock ``out``; apply ``force``/``resume``. Returns (lock, previous state, made now).
    Raises RunDirError / CaseError (one line) without leaving anything behind."""
    import tomli_w

    if resume and force:
        raise CaseError("--resume and --force exclude each other: --resume continues the run in the directory, "
                        "--force clears it first")
    kind = _KINDS[case.kind]
    if resume and not kind.resumable:
        why = kind.resume if isinstance(kind.resume, str) and kind.resume else "it keeps no checkpoints"
        raise CaseError(f"--resume: kind {case.kind!r} cannot resume ({why}); run it again with --force "
                        f"(which clears {out}) or choose another --out")
    rundir.check_out(out)
    if resume and rundir.run_state(out)["status"] == "empty":
        raise CaseError(f"--resume: nothing to resume in {out} (no earlier run there); run without --resume")
    made = rundir.make_out(out)
    lock = rundir.Lock(out)
    try:
        lock.acquire()
        state = rundir.run_state(out)
        status = state["status"]
        if status == "killed":
            _log.warning("%s: the earlier run (pid %s) was killed while running; its records and checkpoint are kept",
                         out, state["pid"])
            rundir.mark_killed(out, state)
        if status == "running":
            raise CaseError(f"{out} is in use: its summary says running, by pid {state['pid']} (still alive); wait "
                            "for that run to finish or choose another --out")
        if status == "empty":
            pass
        elif force:
            removed = rundir.clear(out)
            _log.warning("--force: cleared %s (%d entries of the earlier run, status %s)", out, len(removed), status)
        elif resume:
            if status in ("foreign", "unreadable", "unknown"):
                raise CaseError(f"--resume: {out} holds no readable run of this case (summary.json "
                                f"{'missing' if status != 'unreadable' else 'unreadable'}); choose another --out")
            if status == "done":
                raise CaseError(f"--resume: the run in {out} is finished (status done); nothing to resume "
                                "(--force runs it again from the start)")
            cfg_path = out / "config.toml"
            if cfg_path.exists():
                old = tomllib.loads(cfg_path.read_text())
                new = tomllib.loads(tomli_w.dumps(case.resolved()))
                diff = _config_difference(old, new)
                if diff:
                    raise CaseError(f"--resume: {out} holds a run with other values ({diff}); resume with the "
                                    "same case and --set values, or use --force to start again")
        else:
            what = (f"a run of case {state['summary'].get('case')!r} (status {status})" if state["summary"]
                    else f"files ({', '.join(state['files'][:3])}{' ...' if len(state['files']) > 3 else ''})")
            hint = ("--resume continues it, " if status in ("interrupted", "killed", "failed") and kind.resumable
                    else "")
            raise CaseError(f"{out} already holds {what}; {hint}--force clears it first, or choose another --out")
    except BaseException:
        lock.release()
        if made:
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    return lock, state, made


def _summary_files(out: Path) -> list[str]:
    skip = {rundir.LOCK_NAME}
    return sorted(n for n in os.listdir(out) if n not in skip and not n.endswith(".tmp"))


def run_case(path, out=None, smoke: bool = False, progress=None, resume: bool = False, verbose: bool = True,
             overrides=(), force: bool = False) -> dict:
    """Run a case file (a path, or the name of a bundled case); returns the summary dict (also
    written to ``<out>/summary.json``).

    ``out`` defaults to ``results/<case name>`` (``-smoke`` appended for smoke runs). ``overrides``:
    ``--set`` style changes of the case's tables (:func:`load_case`), recorded in ``config.toml``.

    The case is validated completely before anything is made. A directory that already holds a run is
    refused unless ``force`` (clear it first) or ``resume`` (continue it: kinds registered with
    ``resume=True``; the case and its values must be the same). ``<out>/.lock`` keeps a second run out
    while this one works. SIGINT and SIGTERM stop the run: the runner saves its records and checkpoint,
    ``summary.json`` says ``"status": "interrupted"``, and :class:`RunInterrupted` is raised.
    """
    case = load_case(resolve_case_path(path), smoke=smoke, overrides=overrides)
    if out is not None and str(out).strip() == "":
        rundir.check_out(out)   # the empty path: refused, not read as "." (the working directory)
    out = default_out(case) if out is None else Path(out)
    if resume and force:
        raise CaseError("--resume and --force exclude each other: --resume continues the run in the directory, "
                        "--force clears it first")
    rundir.check_out(out)
    preflight(case)
    lock, previous, _ = _prepare(case, out, resume, force)
    import tomli_w

    try:
        ctx = RunContext(out, case, progress=progress, resume=resume, verbose=verbose)
        rundir.write_text(ctx.out / "config.toml", tomli_w.dumps(case.resolved()))
        meta = {"case": case.name, "kind": case.kind, "smoke": smoke, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "python": platform.python_version(), "machine": platform.machine(), "pid": os.getpid(),
                "host": rundir._host()}
        if case.overrides:
            meta["overrides"] = _json_ready(case.overrides)
        if resume:
            earlier = previous["summary"]
            meta["resumed"] = [*earlier.get("resumed", []), {"from_status": previous["status"],
                                                             "at": meta["started"]}]
            meta["first_started"] = earlier.get("first_started", earlier.get("started"))
        ctx.save_json({**meta, "status": "running"}, "summary")
        t0 = time.perf_counter()
        runner = kinds()[case.kind].runner
        with _interrupt_handlers():
            try:
                result = runner(case.params, ctx) or {}
            except KeyboardInterrupt as exc:
                sig = exc.signal if isinstance(exc, RunInterrupted) else "SIGINT"
                again = (f"hybridsolve run {case.path} --out {out} --resume" + "".join(
                    f" --set {k}={_shown_value(v)}" for k, v in case.overrides.items())
                         + (" --smoke" if smoke else "")) if kinds()[case.kind].resumable else None
                ctx.save_json({**meta, "status": "interrupted", "signal": sig,
                               "elapsed_s": time.perf_counter() - t0, **_json_ready(ctx.notes),
                               "resume_with": again, "files": _summary_files(out)}, "summary")
                raise
            except BaseException as exc:
                ctx.save_json({**meta, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                               "elapsed_s": time.perf_counter() - t0, **_json_ready(ctx.notes),
                               "files": _summary_files(out)}, "summary")
                raise
            if isinstance(result.get("markdown"), str):
                ctx.save_text(result["markdown"], "table.md")
            summary = {**meta, "status": "done", "elapsed_s": time.perf_counter() - t0, **_json_ready(ctx.notes),
                       **_json_ready(result)}
            summary["files"] = sorted(set(_summary_files(out)) | {"summary.json"})
            ctx.save_json(summary, "summary")
            return rundir.strict_json(summary)
    finally:
        rundir.remove_temporaries(out)
        rundir.fix_modes(out)
        lock.release()


def _json_ready(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _toml_ready(obj):
    """TOML has no null: drop None values; tuples become lists."""
    if isinstance(obj, dict):
        return {str(k): _toml_ready(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_toml_ready(v) for v in obj if v is not None]
    return _json_ready(obj)

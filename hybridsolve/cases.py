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

Unknown keys and wrong types are errors naming the key and the file. A run writes into one
directory: ``config.toml`` (the resolved case), ``history.npz``/``history.json`` (and other
histories), ``summary.json`` and PNG figures; writes are atomic, and ``summary.json`` is written
with ``"status": "running"`` first so an interrupted run is recognisable and keeps its records.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import platform
import sys
import time
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .history import History, atomic_write_text

__all__ = ["register_kind", "kinds", "RunContext", "Case", "load_case", "run_case", "find_cases",
           "bundled_cases_dir", "resolve_case_path", "from_dict", "CaseError"]


class CaseError(ValueError):
    """A case file that does not validate (names the file and the key)."""


@dataclass
class _Kind:
    name: str
    params: type
    runner: Callable
    module: str


_KINDS: dict[str, _Kind] = {}
_DISCOVERED = False
IMPORT_ERRORS: dict[str, str] = {}  # experiment modules that failed to import, with the error


def register_kind(name: str, params: type):
    """Decorator registering ``runner(params, ctx) -> dict`` as the case kind ``name``."""
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"params for kind {name!r} must be a dataclass")

    def deco(runner):
        _KINDS[name] = _Kind(name, params, runner, runner.__module__)
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


def from_dict(cls, data: dict, where: str = "params"):
    """Build dataclass ``cls`` from ``data``, validating keys and types against its annotations.

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
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ checks
        raise CaseError(f"{where}: {exc}") from exc


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

    def resolved(self) -> dict:
        """The resolved case as a TOML-ready dict (what ``config.toml`` holds)."""
        params = _toml_ready(dataclasses.asdict(self.params))
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "smoke": self.smoke, "params": params}


_TOP_KEYS = ("kind", "description", "params", "smoke", "name")


def load_case(path, smoke: bool = False) -> Case:
    """Read and validate a case file; with ``smoke`` the ``[smoke]`` overrides are applied."""
    path = Path(path)
    if not path.exists():
        raise CaseError(f"case file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: not valid TOML: {exc}") from exc
    unknown = [k for k in raw if k not in _TOP_KEYS]
    if unknown:
        raise CaseError(f"{path}: unknown top-level key {unknown[0]!r}; valid keys: {', '.join(_TOP_KEYS)}")
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str):
        raise CaseError(f"{path}: key 'kind' must name an experiment kind")
    registry = kinds()
    if kind_name not in registry:
        broken = "".join(f"\n  (module {m} failed to import: {e})" for m, e in IMPORT_ERRORS.items())
        raise CaseError(f"{path}: unknown kind {kind_name!r}; valid kinds: {', '.join(sorted(registry))}{broken}")
    params = raw.get("params", {})
    overrides = raw.get("smoke", {})
    for key, table in (("params", params), ("smoke", overrides)):
        if not isinstance(table, dict):
            raise CaseError(f"{path}: [{key}] must be a table")
    cls = registry[kind_name].params
    from_dict(cls, overrides, f"{path} [smoke]")  # validate overrides even when not used
    merged = {**params, **overrides} if smoke else dict(params)
    p = from_dict(cls, merged, f"{path} [params]" + (" with [smoke]" if smoke else ""))
    name = raw.get("name", path.stem)
    return Case(name=name, kind=kind_name, description=str(raw.get("description", "")), params=p,
                path=path, smoke=smoke, raw=raw)


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
class RunContext:
    """What a case runner gets besides its params: where to write, and helpers that write atomically."""

    def __init__(self, out: Path, case: Case, progress=None, resume: bool = False, verbose: bool = True):
        self.out = Path(out)
        self.case = case
        self.smoke = case.smoke
        self.progress = progress
        self.resume = resume
        self.verbose = verbose
        self.files: list[str] = []
        self.out.mkdir(parents=True, exist_ok=True)

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"[{self.case.name}] {msg}", file=sys.stderr, flush=True)

    def path(self, name: str) -> Path:
        return self.out / name

    def _note(self, name: str) -> None:
        if name not in self.files:
            self.files.append(name)

    def save_history(self, history: History, name: str = "history") -> Path:
        history.save(self.out / name)
        self._note(f"{name}.json")
        self._note(f"{name}.npz")
        return self.out / f"{name}.json"

    def load_history(self, name: str = "history") -> History | None:
        """A history saved earlier in this directory (for resuming), or None."""
        p = self.out / f"{name}.json"
        return History.load(p) if p.exists() else None

    def save_figure(self, fig, name: str, dpi: int = 130) -> Path:
        from .plots.style import savefig

        target = savefig(fig, self.out / f"{name}.png", dpi=dpi)
        self._note(target.name)
        return target

    def save_json(self, obj, name: str) -> Path:
        target = self.out / f"{name}.json"
        atomic_write_text(target, json.dumps(_json_ready(obj), indent=2, allow_nan=True))
        self._note(target.name)
        return target

    def save_text(self, text: str, name: str) -> Path:
        target = self.out / name
        atomic_write_text(target, text)
        self._note(name)
        return target


def run_case(path, out=None, smoke: bool = False, progress=None, resume: bool = False, verbose: bool = True) -> dict:
    """Run a case file (a path, or the name of a bundled case); returns the summary dict (also
    written to ``<out>/summary.json``).

    ``out`` defaults to ``results/<case name>`` (``-smoke`` appended for smoke runs).
    """
    case = load_case(resolve_case_path(path), smoke=smoke)
    if out is None:
        out = Path("results") / (case.name + ("-smoke" if smoke else ""))
    ctx = RunContext(Path(out), case, progress=progress, resume=resume, verbose=verbose)
    import tomli_w

    atomic_write_text(ctx.out / "config.toml", tomli_w.dumps(case.resolved()))
    meta = {"case": case.name, "kind": case.kind, "smoke": smoke, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": platform.python_version(), "machine": platform.machine()}
    ctx.save_json({**meta, "status": "running"}, "summary")
    t0 = time.perf_counter()
    runner = kinds()[case.kind].runner
    try:
        result = runner(case.params, ctx) or {}
    except BaseException as exc:
        ctx.save_json({**meta, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                       "elapsed_s": time.perf_counter() - t0, "files": ctx.files}, "summary")
        raise
    if isinstance(result.get("markdown"), str):
        ctx.save_text(result["markdown"], "table.md")
    summary = {**meta, "status": "done", "elapsed_s": time.perf_counter() - t0, **_json_ready(result),
               "files": sorted(set(ctx.files) | {"config.toml", "summary.json"})}
    ctx.save_json(summary, "summary")
    return summary


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

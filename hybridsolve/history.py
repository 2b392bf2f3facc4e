"""Records and histories: what every solver, monitor and probe writes, and what figures read.

A :class:`Record` is one observation: its ``phase`` (``"jacobi"``, ``"dnn"``, ``"epoch"`` …), ``step``
within that phase, ``time`` (seconds of solver work on the merged timeline, monitoring excluded),
and ``data``: scalars (floats), small mappings of scalars (``delta_F`` keyed by frequency,
``e_low`` keyed by δ …) and NumPy arrays (spectra). A :class:`History` is an ordered list of
records plus a ``meta`` dict; it saves to ``history.npz`` (arrays) + ``history.json`` (the rest).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from ._util import file_mode

__all__ = ["Record", "History", "find_history", "atomic_write_bytes", "atomic_write_text", "to_json", "from_json"]

_FORMAT = "hybridsolve.history/1"


@dataclass
class Record:
    """One observation. ``rec["error_inf"]`` reads ``rec.data["error_inf"]``.

    >>> r = Record("jacobi", 10, 0.5, {"error_inf": 1e-2, "delta_F": {3: 0.5}})
    >>> r["error_inf"], r.delta_F[3]
    (0.01, 0.5)
    """

    phase: str
    step: int
    time: float
    data: dict = field(default_factory=dict)

    def __getitem__(self, key: str):
        return self.data[key]

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.data

    @property
    def delta_F(self) -> dict:
        return self.data.get("delta_F", {})

    @property
    def error_inf(self) -> float:
        return self.data.get("error_inf", math.nan)

    @property
    def error_l2(self) -> float:
        return self.data.get("error_l2", math.nan)


class History:
    """Ordered records of one run (possibly several phases) with metadata.

    >>> h = History(meta={"problem": "paper_1d"})
    >>> h.append(Record("dnn", 0, 0.0, {"error_inf": 1.0}))
    >>> h.append(Record("jacobi", 0, 2.0, {"error_inf": 0.1}))
    >>> h.phases, h.column("error_inf").tolist(), len(h.phase("jacobi"))
    (['dnn', 'jacobi'], [1.0, 0.1], 1)
    """

    def __init__(self, records: Iterable[Record] | None = None, meta: dict | None = None):
        self.records: list[Record] = list(records or [])
        self.meta: dict = dict(meta or {})

    # -- container ----------------------------------------------------------------------------
    def append(self, record: Record) -> None:
        self.records.append(record)

    def extend(self, other: "History | Iterable[Record]", time_offset: float = 0.0) -> None:
        """Append another history's records, shifting their times by ``time_offset``."""
        for r in other:
            self.records.append(Record(r.phase, r.step, r.time + time_offset, dict(r.data)))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return History(self.records[i], self.meta)
        return self.records[i]

    def __repr__(self) -> str:
        return f"History({len(self)} records, phases={self.phases})"

    @property
    def last(self) -> Record | None:
        return self.records[-1] if self.records else None

    @property
    def phases(self) -> list[str]:
        seen: list[str] = []
        for r in self.records:
            if r.phase not in seen:
                seen.append(r.phase)
        return seen

    def phase(self, name: str) -> "History":
        """The records of one phase (same meta)."""
        return History([r for r in self.records if r.phase == name], self.meta)

    # -- columns for plotting -----------------------------------------------------------------
    def steps(self) -> np.ndarray:
        return np.array([r.step for r in self.records], dtype=np.int64)

    def times(self) -> np.ndarray:
        return np.array([r.time for r in self.records], dtype=float)

    def column(self, key: str, default=np.nan) -> np.ndarray:
        """A scalar ``data[key]`` across records (``default`` where absent)."""
        return np.array([r.data.get(key, default) for r in self.records], dtype=float)

    def keys(self, key: str) -> list:
        """Sorted keys of a mapping-valued entry (e.g. the frequencies of ``delta_F``) over all records."""
        ks = set()
        for r in self.records:
            v = r.data.get(key)
            if isinstance(v, dict):
                ks.update(v.keys())
        return sorted(ks)

    def series(self, key: str, sub) -> np.ndarray:
        """``data[key][sub]`` across records, e.g. ``series("delta_F", 24)``."""
        return np.array([r.data.get(key, {}).get(sub, np.nan) for r in self.records], dtype=float)

    def matrix(self, key: str) -> tuple[list, np.ndarray]:
        """All sub-keys of a mapping-valued entry as rows: ``(keys, array(len(keys), len(self)))``."""
        ks = self.keys(key)
        return ks, np.array([self.series(key, k) for k in ks]).reshape(len(ks), len(self))

    def arrays(self, key: str) -> list:
        return [r.data.get(key) for r in self.records]

    # -- export -------------------------------------------------------------------------------
    def table(self) -> tuple[list[str], list[list]]:
        """``(columns, rows)``: one row per record, as :meth:`to_csv` writes them.

        Columns: ``phase``, ``step``, ``time``, then every scalar entry (in the order first seen) and
        every mapping entry flattened as ``key[sub]`` (``delta_F[8]``, ``e_low[3.0]``; sub-keys in
        increasing order). Arrays (spectra) are left out. A record without an entry has ``None``.

        >>> h = History([Record("dnn", 0, 0.0, {"error_inf": 1.0, "delta_F": {1: 0.9, 8: 1.0}}),
        ...              Record("jacobi", 5, 0.5, {"error_inf": 0.1, "loss": -2.0})])
        >>> cols, rows = h.table()
        >>> cols
        ['phase', 'step', 'time', 'error_inf', 'delta_F[1]', 'delta_F[8]', 'loss']
        >>> rows[1]
        ['jacobi', 5, 0.5, 0.1, None, None, -2.0]
        """
        order: dict[str, set | None] = {}
        for r in self.records:
            for k, v in r.data.items():
                if isinstance(v, dict):
                    subs = order.get(k)
                    if not isinstance(subs, set):
                        subs = set()
                        order[k] = subs
                    subs.update(s for s, x in v.items() if _is_scalar(x))
                elif _is_scalar(v) and k not in order:
                    order[k] = None
        columns = ["phase", "step", "time"]
        getters = []
        for k, subs in order.items():
            if subs is None:
                columns.append(k)
                getters.append((k, None))
            else:
                for s in sorted(subs, key=_sub_order):
                    columns.append(f"{k}[{s}]")
                    getters.append((k, s))
        rows = []
        for r in self.records:
            row = [r.phase, int(r.step), float(r.time)]
            for k, s in getters:
                v = r.data.get(k)
                if s is not None:
                    v = v.get(s) if isinstance(v, dict) else None
                row.append(_plain(v) if _is_scalar(v) else None)
            rows.append(row)
        return columns, rows

    def to_csv(self, path) -> Path:
        """Write the records as CSV (atomically): one row per record, the columns of :meth:`table`
        (``phase, step, time``, every scalar key, mapping keys flattened as ``delta_F[k]``); an absent
        entry is an empty cell, NaN is ``nan``. Returns the path. Reads back with ``csv`` or pandas.

        >>> import csv, tempfile, pathlib
        >>> h = History([Record("jacobi", s, 0.1 * s, {"error_inf": 1.0 / (s + 1), "delta_F": {8: 0.5}})
        ...              for s in range(3)])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     rows = list(csv.DictReader(h.to_csv(pathlib.Path(d) / "h.csv").open()))
        >>> len(rows), rows[2]["step"], float(rows[2]["error_inf"]), rows[0]["delta_F[8]"]
        (3, '2', 0.3333333333333333, '0.5')
        """
        import csv
        import io

        columns, rows = self.table()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
        return atomic_write_text(Path(path), buf.getvalue())

    # -- persistence --------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``<path>.npz`` and ``<path>.json`` atomically (``path`` may end in either or neither).

        Returns the json path. ``History.load`` reads either name back.
        """
        base = _base(path)
        arrays: dict[str, np.ndarray] = {}
        rows = []
        for i, r in enumerate(self.records):
            data = {}
            for k, v in r.data.items():
                if isinstance(v, np.ndarray) and v.ndim > 0:
                    name = f"r{i}__{k}"
                    arrays[name] = v
                    data[k] = {"__array__": name}
                else:
                    data[k] = to_json(v)
            rows.append({"phase": r.phase, "step": int(r.step), "time": float(r.time), "data": data})
        meta = _meta_arrays(self.meta, arrays, "meta")
        doc = {"format": _FORMAT, "meta": to_json(meta), "records": rows}
        base.parent.mkdir(parents=True, exist_ok=True)
        npz = base.with_name(base.name + ".npz")
        with tempfile.NamedTemporaryFile(dir=npz.parent, suffix=".npz.tmp", delete=False) as tmp:
            np.savez_compressed(tmp, **arrays)
        os.replace(tmp.name, npz)
        js = base.with_name(base.name + ".json")
        atomic_write_text(js, json.dumps(doc, indent=1, allow_nan=False))
        return js

    @classmethod
    def load(cls, path) -> "History":
        """Read a history written by :meth:`save` (``path`` with or without ``.json`` / ``.npz``).

        A missing file is a FileNotFoundError; a truncated, corrupt or foreign one is one ValueError,
        ``"<path> is not a hybridsolve history (<why>)"``.

        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "h.json").write_text('{"records": [{"phase": "x"')
        >>> History.load(d / "h")
        Traceback (most recent call last):
        ...
        ValueError: ...h.json is not a hybridsolve history (truncated or corrupt JSON: ...)
        """
        import zipfile

        base = _base(path)
        js = base.with_name(base.name + ".json")
        npz = base.with_name(base.name + ".npz")
        if js.is_dir():
            raise ValueError(f"{js} is not a hybridsolve history (it is a directory)")
        if not js.exists():
            raise FileNotFoundError(f"no history at {js}")

        def bad(why):
            return ValueError(f"{js} is not a hybridsolve history ({why})")

        try:
            doc = json.loads(js.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise bad("not a text file") from None
        except json.JSONDecodeError as exc:
            raise bad(f"truncated or corrupt JSON: {exc.msg}, line {exc.lineno}") from None
        if not isinstance(doc, dict) or "records" not in doc:
            kind = f"a JSON {type(doc).__name__}" if not isinstance(doc, dict) else f"a JSON object with keys {sorted(doc)[:6]}"
            raise bad(f"{kind}, not a history with 'format' {_FORMAT!r} and 'records'")
        if doc.get("format", _FORMAT) != _FORMAT:
            raise bad(f"format {doc.get('format')!r}; this version reads {_FORMAT!r}")
        arrays: dict = {}
        if npz.exists():
            try:
                with np.load(npz, allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
                raise ValueError(f"{npz} is not a hybridsolve history's arrays (truncated or corrupt npz: "
                                 f"{str(exc) or type(exc).__name__})") from None
        try:
            recs = []
            for i, row in enumerate(doc["records"]):
                if not isinstance(row, dict) or not {"phase", "step", "time", "data"} <= set(row):
                    raise bad(f"record {i} is not a dict with phase, step, time and data")
                data = {k: from_json(v, arrays) for k, v in row["data"].items()}
                recs.append(Record(str(row["phase"]), int(row["step"]), float(row["time"]), data))
            meta = from_json(doc.get("meta", {}), arrays)
        except KeyError as exc:
            raise bad(f"the array {exc.args[0]!r} is missing from {npz.name}" + ("" if npz.exists() else
                                                                               " (no such file)")) from None
        except (TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, ValueError) and "is not a hybridsolve history" in str(exc):
                raise
            raise bad(f"malformed records: {exc}") from None
        return cls(recs, meta)


def find_history(path, name: str = "history") -> Path:
    """The JSON file of a saved history: ``path/<name>.json`` for a results directory, else the
    history file ``path`` names (``x``, ``x.json`` or ``x.npz``). A FileNotFoundError names the
    directory and lists the histories it does have.

    >>> find_history("no/such/run")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no history at no/such/run: not a results directory, and run.json does not exist (no/such does not exist)
    """
    p = Path(path)
    if p.is_dir():
        js = p / f"{name}.json"
        if js.exists():
            return js
        found = sorted(q.stem for q in p.glob("*.json") if q.with_suffix(".npz").exists())
        hint = (f"; it has {', '.join(f + '.json' for f in found)} (pick one with history=NAME, CLI --history NAME)"
                if found else "; it holds no saved history at all (a results directory has history.json + "
                "history.npz, written by `hybridsolve run CASE --out DIR`)")
        raise FileNotFoundError(f"results directory {p} has no {name}.json{hint}")
    base = _base(p)
    js = base.with_name(base.name + ".json")
    if not js.exists():
        raise FileNotFoundError(f"no history at {p}: not a results directory, and {js.name} does not exist"
                                f"{'' if base.parent.exists() else f' ({base.parent} does not exist)'}")
    return js


def _is_scalar(v) -> bool:
    """A number, bool or string (NumPy scalars and 0-d arrays included): what a CSV cell can hold."""
    if isinstance(v, np.ndarray):
        return v.ndim == 0
    return isinstance(v, (int, float, str, bool, np.generic))


def _plain(v):
    """``v`` as a Python scalar (float, int, bool or str)."""
    if isinstance(v, (np.ndarray, np.generic)):
        v = v.item()
    return v


def _sub_order(s):
    """Sort key for mapping sub-keys: numbers by value, then anything else by its text."""
    if isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, bool):
        return (0, float(s), "")
    return (1, 0.0, str(s))


def _base(path) -> Path:
    p = Path(path)
    if p.suffix in (".json", ".npz"):
        p = p.with_suffix("")
    return p


def _meta_arrays(v: Any, arrays: dict, name: str):
    """Arrays inside ``meta`` (at any depth of dicts) go to the npz, like record arrays."""
    if isinstance(v, np.ndarray) and v.ndim > 0:
        arrays[name] = v
        return {"__array__": name}
    if isinstance(v, dict):
        return {k: _meta_arrays(x, arrays, f"{name}__{k}") for k, x in v.items()}
    return v


def to_json(v: Any):
    """``v`` as JSON-ready data: NumPy scalars and arrays to Python numbers and lists, paths to strings,
    dicts with all-int or all-float keys tagged so that :func:`from_json` gives the numeric keys back.

    >>> import json
    >>> doc = json.dumps(to_json({1: np.float64(0.5), 8: np.arange(2)}))
    >>> from_json(json.loads(doc))
    {1: 0.5, 8: [0, 1]}

    Non-finite floats become ``{"__float__": "nan"}`` (strict JSON has no NaN token) and load back:

    >>> to_json([1.0, float("inf")]), from_json(to_json(float("nan")))
    ([1.0, {'__float__': 'inf'}], nan)
    """
    if isinstance(v, dict):
        # JSON keys are strings; remember numeric keys so they load back as numbers
        if v and all(isinstance(k, (int, np.integer)) for k in v):
            return {"__intkeys__": {str(int(k)): to_json(x) for k, x in v.items()}}
        if v and all(isinstance(k, (float, np.floating)) for k in v):
            return {"__floatkeys__": [[float(k), to_json(x)] for k, x in v.items()]}
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, np.ndarray):
        return to_json(v.tolist()) if v.dtype.kind in "fc" or v.dtype == object else v.tolist()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        # strict JSON has no NaN/Infinity tokens; a tag keeps the value and any JSON reader can parse the file
        return v if math.isfinite(v) else {"__float__": repr(v)}
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, Path):
        return str(v)
    return v


def from_json(v: Any, arrays: dict | None = None):
    """The inverse of :func:`to_json` (numeric dict keys restored; ``{"__array__": name}`` taken from
    ``arrays``, the arrays saved beside the JSON). Lists stay lists."""
    if isinstance(v, dict):
        if "__array__" in v and len(v) == 1:
            return arrays[v["__array__"]]
        if "__float__" in v and len(v) == 1:
            return float(v["__float__"])
        if "__intkeys__" in v and len(v) == 1:
            return {int(k): from_json(x, arrays) for k, x in v["__intkeys__"].items()}
        if "__floatkeys__" in v and len(v) == 1:
            return {float(k): from_json(x, arrays) for k, x in v["__floatkeys__"]}
        return {k: from_json(x, arrays) for k, x in v.items()}
    if isinstance(v, list):
        return [from_json(x, arrays) for x in v]
    return v


def atomic_write_bytes(path, payload: bytes) -> Path:
    """Write to a temporary file beside ``path`` then rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as tmp:
        tmp.write(payload)
    os.chmod(tmp.name, file_mode())   # the umask's permissions, not tempfile's 0600
    os.replace(tmp.name, path)
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))

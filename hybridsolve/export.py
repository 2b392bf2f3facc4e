"""Histories out to other tools: CSV (:meth:`History.to_csv <hybridsolve.History.to_csv>`) and TensorBoard.

TensorBoard is optional: :func:`to_tensorboard` writes with ``torch.utils.tensorboard.SummaryWriter``,
which needs the ``tensorboard`` package (``pip install tensorboard``); without it the export is a
:class:`TensorBoardMissing` error that says so, and nothing is written. Every scalar of every record
becomes a scalar event (mapping entries as ``delta_F/8``), at the record's step, in one run
(sub-directory of the log directory) per phase; an event's wall time is the export's start plus the
record's solver time, so TensorBoard's *Relative* axis shows solver seconds.

>>> tensorboard_available() in (True, False)
True
"""
from __future__ import annotations

import importlib.util
import re
import time as _time
from pathlib import Path

from .history import History, _is_scalar, _plain

__all__ = ["to_tensorboard", "tensorboard_available", "TensorBoardMissing", "scalars"]

INSTALL_HINT = "pip install tensorboard"


class TensorBoardMissing(ImportError):
    """The ``tensorboard`` package is not installed (the message says how to install it)."""


def tensorboard_available() -> bool:
    """Whether ``tensorboard`` is importable (what ``torch.utils.tensorboard`` needs)."""
    try:
        return importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        return False


def scalars(record) -> dict:
    """``{tag: float}`` of one record: numbers and booleans as they are, mapping entries as ``key/sub``
    (TensorBoard groups tags by the part before the ``/``); strings and arrays are left out.

    >>> from hybridsolve import Record
    >>> scalars(Record("dnn", 10, 0.5, {"error_inf": 0.1, "delta_F": {1: 0.3, 8: 0.9}, "finite": True}))
    {'error_inf': 0.1, 'delta_F/1': 0.3, 'delta_F/8': 0.9, 'finite': 1.0}
    """
    out = {}
    for k, v in record.data.items():
        if isinstance(v, dict):
            for s, x in v.items():
                if _is_scalar(x) and not isinstance(_plain(x), str):
                    out[f"{k}/{s}"] = float(_plain(x))
        elif _is_scalar(v) and not isinstance(_plain(v), str):
            out[k] = float(_plain(v))
    return out


def _run_name(phase: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.=+-]+", "_", str(phase)).strip("._") or "phase"
    return name


def to_tensorboard(history: History, logdir) -> list[Path]:
    """Write ``history`` as TensorBoard scalars under ``logdir`` (one run directory per phase); returns
    the run directories. Refuses a run directory that already holds event files (TensorBoard would
    merge the two exports into one doubled curve) and raises :class:`TensorBoardMissing` when the
    ``tensorboard`` package is absent — in both cases before writing anything.
    """
    if not isinstance(history, History):
        raise ValueError(f"history must be a hybridsolve.History; got {type(history).__name__}")
    if not tensorboard_available():
        raise TensorBoardMissing(f"the TensorBoard export needs the tensorboard package, which is not installed: "
                                 f"{INSTALL_HINT} (hybridsolve itself does not require it; the CSV export "
                                 f"needs nothing: --csv FILE / History.to_csv)")
    logdir = Path(logdir)
    runs = {}
    for phase in history.phases:
        name = _run_name(phase)
        while name in runs.values():
            name += "_"
        runs[phase] = name
    busy = [logdir / n for n in runs.values() if (logdir / n).is_dir() and any((logdir / n).glob("events.out.tfevents.*"))]
    if busy:
        raise FileExistsError(f"{busy[0]} already holds TensorBoard event files; export into a new log directory "
                              "(or delete that run) so that the curves are not doubled")
    from torch.utils.tensorboard import SummaryWriter

    t0 = _time.time()
    written = []
    for phase, name in runs.items():
        w = SummaryWriter(log_dir=str(logdir / name))
        try:
            for r in history.phase(phase):
                for tag, v in scalars(r).items():
                    w.add_scalar(tag, v, global_step=int(r.step), walltime=t0 + float(r.time))
        finally:
            w.close()
        written.append(logdir / name)
    return written

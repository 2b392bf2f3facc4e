"""Small shared helpers: a pausable stopwatch, progress bars, argument checks."""
from __future__ import annotations

import inspect
import math
import os
import sys
import time
from contextlib import contextmanager

__all__ = ["Stopwatch", "progress_bar", "check_options", "require_positive", "require_int", "require_range",
           "require_omega", "require_finite", "require_bool", "safe_torch_load"]


class Stopwatch:
    """Wall-clock seconds of solver work, :meth:`paused` blocks (observation) left out. ``offset``
    places it on a longer timeline (a later phase of a run): ``now = offset + elapsed``.

    >>> sw = Stopwatch(offset=2.0).start()
    >>> with sw.paused():
    ...     pass
    >>> sw.elapsed >= 0.0, sw.now >= 2.0
    (True, True)
    """

    def __init__(self, offset: float = 0.0):
        self.offset = float(offset)
        self._total = 0.0
        self._since = None

    def start(self) -> "Stopwatch":
        if self._since is None:
            self._since = time.perf_counter()
        return self

    def stop(self) -> float:
        """Stop; returns the seconds run so far (offset not included)."""
        if self._since is not None:
            self._total += time.perf_counter() - self._since
            self._since = None
        return self._total

    @property
    def running(self) -> bool:
        return self._since is not None

    @property
    def elapsed(self) -> float:
        """Seconds run so far (offset not included)."""
        extra = time.perf_counter() - self._since if self._since is not None else 0.0
        return self._total + extra

    @property
    def now(self) -> float:
        """Position on the run's timeline: ``offset + elapsed``."""
        return self.offset + self.elapsed

    @contextmanager
    def paused(self):
        was = self.running
        self.stop()
        try:
            yield
        finally:
            if was:
                self.start()


def progress_enabled(progress) -> bool:
    """``progress=None`` means: show bars when stderr is a terminal and not under CI."""
    if progress is None:
        return sys.stderr.isatty() and not os.environ.get("CI")
    return bool(progress)


def progress_bar(total=None, desc: str = "", progress=None, unit: str = "it", **kw):
    """A tqdm bar (disabled unless :func:`progress_enabled`)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress_enabled(progress), leave=False,
                dynamic_ncols=True, **kw)


def check_options(func, options: dict, what: str) -> None:
    """Raise ValueError naming unknown keyword options and listing the valid ones."""
    params = inspect.signature(func).parameters
    valid = sorted(n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(map(repr, unknown))} for {what}; valid options: {', '.join(valid)}")


def require_positive(name: str, value, allow_none: bool = False, allow_zero: bool = False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {value!r}")
    return v


def require_int(name: str, value, minimum: int = 0, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int,)) and not hasattr(value, "__index__"):
        raise ValueError(f"{name} must be a whole number; got {value!r}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {v}")
    return v


def require_bool(name: str, value) -> bool:
    """True or False (NumPy booleans too), else ValueError naming it.

    >>> require_bool("resume", "yes")
    Traceback (most recent call last):
    ...
    ValueError: resume must be True or False; got 'yes'
    """
    if type(value).__name__ not in ("bool", "bool_"):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def safe_torch_load(path, what: str):
    """``torch.load(path, map_location="cpu", weights_only=True)`` — tensors and plain containers only, no
    pickled code — with one clear ValueError ``"<path> is not <what> (<why>)"`` for a foreign, corrupt or
    truncated file (FileNotFoundError stays). ``what``: e.g. ``"a Deep Ritz checkpoint"``.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.pt"; _ = bad.write_bytes(b"hello")
    >>> safe_torch_load(bad, "a Deep Ritz checkpoint")
    Traceback (most recent call last):
    ...
    ValueError: ...x.pt is not a Deep Ritz checkpoint (not a torch file: unreadable data)
    """
    import pickle
    import re
    import warnings
    import zipfile
    from pathlib import Path

    import torch

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is not {what} (it is a directory)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, EOFError, RuntimeError, zipfile.BadZipFile, ValueError, TypeError,
            AttributeError, ImportError, IndexError, KeyError, OSError, UnicodeDecodeError) as exc:
        msg = str(exc)
        glob = re.search(r"Unsupported global: GLOBAL ([\w.]+)", msg)
        if glob:
            why = (f"it holds a Python object ({glob.group(1)}) besides tensors and plain containers; such files are "
                   "not loaded, since unpickling them could run code")
        elif isinstance(exc, EOFError) or "central directory" in msg or "PytorchStreamReader" in msg:
            why = "truncated or corrupt torch file" if path.stat().st_size else "empty file"
        else:
            why = "not a torch file: unreadable data"
    raise ValueError(f"{path} is not {what} ({why})")


def require_finite(name: str, value) -> float:
    """A finite real number, else ValueError naming it.

    >>> require_finite("time_offset", float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: time_offset must be a finite number; got inf
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number; got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return v


def require_range(name: str, value, low: float, high: float, closed: bool = False) -> float:
    """``low < value < high`` (or ``<=`` with ``closed``), else ValueError naming the interval."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    ok = (low <= v <= high) if closed else (low < v < high)
    if not (math.isfinite(v) and ok):
        interval = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{name}={value!r} is outside {interval}")
    return v


def require_omega(omega, name: str = "omega") -> float:
    """A relaxation weight in (0, 2): weighted Jacobi and SOR diverge outside it.

    >>> require_omega(2.0)
    Traceback (most recent call last):
    ...
    ValueError: omega=2.0 is outside (0, 2): weighted Jacobi and SOR diverge for ω ≤ 0 or ω ≥ 2
    """
    try:
        v = float(omega)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 2); got {omega!r}") from None
    if not (math.isfinite(v) and 0.0 < v < 2.0):
        raise ValueError(f"{name}={omega!r} is outside (0, 2): weighted Jacobi and SOR diverge for ω ≤ 0 or ω ≥ 2")
    return v


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets under the current umask (``0o666 & ~umask``; 0o644 under umask 022).

    >>> import os
    >>> old = os.umask(0o027); oct(file_mode()); _ = os.umask(old)
    '0o640'
    """
    return 0o666 & ~_umask()

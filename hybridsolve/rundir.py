"""The results directory of a case run: where it may be, who holds it, what its files look like.

* :func:`check_out` refuses an ``--out`` that is empty, a file, below a file or not writable, in one
  line, before anything is made;
* :class:`Lock` (``<out>/.lock``, created with ``O_EXCL``, holding the pid) keeps two runs out of one
  directory; a lock whose pid is no longer alive is taken over with a warning;
* :func:`run_state` reads what a directory holds (``summary.json``'s status; ``"running"`` with a dead
  pid is reported as ``"killed"``), :func:`clear` empties a results directory for ``--force``;
* :func:`write_text` writes atomically with the permissions the umask gives (``tempfile`` makes files
  0600), :func:`fix_modes` gives files written by other writers the same;
* :func:`strict_json` turns non-finite numbers into ``null`` with a ``<key>_nonfinite`` reason, so a
  summary is JSON that any parser reads.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()) / "res"
>>> check_out(d) == d, make_out(d)
(True, True)
>>> with Lock(d) as lock:
...     lock.pid == os.getpid(), (d / ".lock").exists()
(True, True)
>>> (d / ".lock").exists()
False
>>> strict_json({"error_inf": float("nan"), "curve": [1.0, float("inf")]})
{'error_inf': None, 'error_inf_nonfinite': 'nan', 'curve': [1.0, None], 'curve_nonfinite': {'1': 'inf'}}
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from ._util import file_mode

__all__ = ["RunDirError", "check_out", "make_out", "Lock", "run_state", "clear", "write_text", "write_bytes", "fix_modes",
           "file_mode", "strict_json", "dumps_strict", "pid_alive", "LOCK_NAME"]

_log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
RESULT_MARKERS = ("summary.json", "config.toml")


class RunDirError(ValueError):
    """A results directory that cannot be used as asked (names the directory and what to do)."""


# -- permissions -------------------------------------------------------------------------------------------
def fix_modes(directory, mode: int | None = None) -> None:
    """Give every file below ``directory`` the umask's mode (files that ``tempfile`` made 0600).

    Only permission bits that differ are changed; files that are not ours to change are left alone.
    """
    mode = file_mode() if mode is None else mode
    d = Path(directory)
    if not d.is_dir():
        return
    for root, _dirs, files in os.walk(d):
        for name in files:
            p = os.path.join(root, name)
            try:
                st = os.lstat(p)
                if (st.st_mode & 0o7777) != mode and not os.path.islink(p):
                    os.chmod(p, mode)
            except OSError:
                pass


def write_bytes(path, payload: bytes) -> Path:
    """Atomic write (temporary file beside ``path``, then rename) with the umask's permissions.

    >>> import tempfile, pathlib
    >>> p = write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hi")
    >>> p.read_text(), (p.stat().st_mode & 0o777) == file_mode()
    ('hi', True)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_text(path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


# -- strict JSON -------------------------------------------------------------------------------------------
def _nonfinite(x: float) -> str:
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def _is_bad_float(v) -> bool:
    try:
        import numpy as np

        if isinstance(v, np.floating):
            v = float(v)
    except ImportError:  # pragma: no cover
        pass
    return isinstance(v, float) and not math.isfinite(v)


def _clean(v):
    """``(clean value, reasons)``: reasons is None, a string (this value was non-finite) or a dict
    ``{index or key path: reason}`` for the non-finite entries inside a list."""
    if _is_bad_float(v):
        return None, _nonfinite(float(v))
    if isinstance(v, dict):
        return strict_json(v), None
    if isinstance(v, (list, tuple)):
        out, reasons = [], {}
        for i, x in enumerate(v):
            c, r = _clean(x)
            out.append(c)
            if isinstance(r, str):
                reasons[str(i)] = r
            elif isinstance(r, dict):
                reasons.update({f"{i}.{k}": x for k, x in r.items()})
        return out, (reasons or None)
    return v, None


def strict_json(obj):
    """``obj`` (JSON-ready data) with every NaN/±Infinity replaced by ``null`` and the reason beside it:
    ``{"x": nan}`` → ``{"x": null, "x_nonfinite": "nan"}``; in a list, ``"x_nonfinite"`` maps the
    positions (``"3"``, or ``"3.1"`` inside nested lists) to the reasons.

    >>> strict_json({"a": {"b": float("-inf")}, "ok": 1.5})
    {'a': {'b': None, 'b_nonfinite': '-inf'}, 'ok': 1.5}
    """
    if not isinstance(obj, dict):
        c, _ = _clean(obj)
        return c
    out = {}
    for k, v in obj.items():
        c, r = _clean(v)
        out[k] = c
        if r is not None:
            out[f"{k}_nonfinite"] = r
    return out


def dumps_strict(obj, **kw) -> str:
    """``json.dumps`` of :func:`strict_json` (``allow_nan=False``: a stray NaN is an error, not a token).

    >>> dumps_strict({"t": float("inf")})
    '{"t": null, "t_nonfinite": "inf"}'
    """
    return json.dumps(strict_json(obj), allow_nan=False, **kw)


# -- where the directory may be ----------------------------------------------------------------------------
def check_out(out) -> Path:
    """``out`` as a Path if a results directory can be there (exists as a writable directory, or can be
    made); else :class:`RunDirError` in one line. Makes nothing.

    >>> check_out("")
    Traceback (most recent call last):
    ...
    hybridsolve.rundir.RunDirError: --out '': empty path; give a directory for the results (e.g. results/mycase)
    """
    if out is None or str(out).strip() == "":
        raise RunDirError(f"--out {str(out or '')!r}: empty path; give a directory for the results "
                          "(e.g. results/mycase)")
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise RunDirError(f"--out {p}: is a file, not a directory; choose a directory for the results")
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe != p and probe.exists() and not probe.is_dir():
        raise RunDirError(f"--out {p}: {probe} is a file, so no directory can be made below it")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {p}: {probe} is not writable{'' if probe == p else ', so the directory cannot be made'}")
    return p


def make_out(p: Path) -> bool:
    """Make the directory ``p`` (and parents); returns whether it was made now. OSError → RunDirError."""
    existed = p.is_dir()
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"--out {p}: cannot make the directory: {exc.strerror or exc}") from None
    return not existed


# -- the lock ----------------------------------------------------------------------------------------------
def pid_alive(pid) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as dead).

    >>> pid_alive(os.getpid()), pid_alive(None), pid_alive(-1)
    (True, False, False)
    """
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _host() -> str:
    return socket.gethostname()


class Lock:
    """``<directory>/.lock``: made with ``O_EXCL`` holding ``{"pid", "host", "started"}``; released on exit.

    A lock held by a live process (on this host) is a :class:`RunDirError` naming the pid; one whose
    process is gone (a run that was killed) is taken over with a warning.
    """

    def __init__(self, directory):
        self.dir = Path(directory)
        self.path = self.dir / LOCK_NAME
        self.pid = os.getpid()
        self.held = False
        self.took_over: dict | None = None

    def _create(self) -> bool:
        doc = json.dumps({"pid": self.pid, "host": _host(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode())
        except FileExistsError:
            return False
        except OSError as exc:
            raise RunDirError(f"--out {self.dir}: cannot write there: {exc.strerror or exc}") from None
        with os.fdopen(fd, "w") as fh:
            fh.write(doc)
        return True

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def acquire(self) -> "Lock":
        for _ in range(3):
            if self._create():
                self.held = True
                return self
            info = self.holder()
            pid, host = info.get("pid"), info.get("host")
            if host not in (None, _host()):
                raise RunDirError(f"{self.dir} is locked by a run on host {host} (pid {pid}, since "
                                  f"{info.get('started', '?')}); if that run is gone, remove {self.path}")
            if pid_alive(pid) and pid != self.pid:
                raise RunDirError(f"{self.dir} is in use by another run (pid {pid}, since {info.get('started', '?')}; "
                                  f"lock {self.path}); wait for it to finish or choose another --out")
            _log.warning("%s: taking over the stale lock of pid %s (no such process: that run was killed)",
                         self.dir, pid)
            self.took_over = info
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        raise RunDirError(f"{self.dir}: could not take the lock {self.path} (another run keeps taking it)")

    def release(self) -> None:
        if self.held:
            if self.holder().get("pid") == self.pid:
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
            self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


# -- what a directory holds --------------------------------------------------------------------------------
def _contents(d: Path) -> list[str]:
    if not d.is_dir():
        return []
    return sorted(n for n in os.listdir(d) if n != LOCK_NAME)


def run_state(directory) -> dict:
    """What ``directory`` holds: ``{"status", "summary", "files", "pid"}``. ``status``: ``"empty"``
    (nothing, or no directory), ``"foreign"`` (files but no ``summary.json``/``config.toml``),
    ``"unreadable"`` (a summary that does not parse), else the summary's status, where ``"running"``
    whose pid is not alive (on this host) becomes ``"killed"``.

    >>> import tempfile, pathlib, json
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> run_state(d)["status"]
    'empty'
    >>> _ = (d / "summary.json").write_text(json.dumps({"status": "running", "pid": 2**22 + 12345}))
    >>> run_state(d)["status"]
    'killed'
    """
    d = Path(directory)
    files = _contents(d)
    if not files:
        return {"status": "empty", "summary": {}, "files": [], "pid": None}
    s = d / "summary.json"
    if not s.exists():
        status = "foreign" if not any(m in files for m in RESULT_MARKERS) else "unknown"
        return {"status": status, "summary": {}, "files": files, "pid": None}
    try:
        summary = json.loads(s.read_text())
    except (OSError, ValueError):
        return {"status": "unreadable", "summary": {}, "files": files, "pid": None}
    status = summary.get("status", "unknown")
    pid = summary.get("pid")
    if status == "running":
        same_host = summary.get("host") in (None, _host())
        if pid is None or (same_host and not pid_alive(pid)):
            status = "killed"
    return {"status": status, "summary": summary, "files": files, "pid": pid}


def mark_killed(directory, state: dict) -> None:
    """Rewrite a stale ``"running"`` summary as ``"killed"`` (the process that wrote it is gone)."""
    s = dict(state["summary"])
    pid = s.get("pid")
    s.update(status="killed", killed_note=(f"summary said running, but pid {pid} is not alive: the run was killed "
                                           "(SIGKILL, power loss or out of memory) and could not record its end"
                                           if pid is not None else "summary said running and recorded no pid"),
             noticed=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    write_text(Path(directory) / "summary.json", dumps_strict(s, indent=2))


def clear(directory) -> list[str]:
    """Remove everything in a results directory except the lock; returns what was removed.

    Refuses (RunDirError) a directory that is not a results directory (no ``summary.json`` or
    ``config.toml``), so ``--force`` pointed at the wrong place deletes nothing.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "notes.txt").write_text("mine")
    >>> clear(d)
    Traceback (most recent call last):
    ...
    hybridsolve.rundir.RunDirError: --force clears only a results directory (one with summary.json or config.toml); ... holds other files (notes.txt): choose another --out
    """
    d = Path(directory)
    files = _contents(d)
    if files and not any(m in files for m in RESULT_MARKERS):
        shown = ", ".join(files[:5]) + (" ..." if len(files) > 5 else "")
        raise RunDirError(f"--force clears only a results directory (one with summary.json or config.toml); "
                          f"{d} holds other files ({shown}): choose another --out")
    for name in files:
        p = d / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    return files


def remove_temporaries(directory) -> None:
    """Delete leftover ``*.tmp`` files of interrupted atomic writes in ``directory``."""
    d = Path(directory)
    if d.is_dir():
        for p in d.glob("*.tmp"):
            try:
                p.unlink()
            except OSError:
                pass
        for p in d.glob(".*.tmp"):
            try:
                p.unlink()
            except OSError:
                pass

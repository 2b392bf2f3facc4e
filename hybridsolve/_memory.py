"""The memory guard: estimate the bytes a problem, solver or probe will allocate, before allocating them,
and refuse with the estimate, the memory available and what would fit when it will not.

:func:`available` reads what this process may still allocate: ``MemAvailable`` of ``/proc/meminfo``
(``os.sysconf`` elsewhere), lowered by a cgroup memory limit, by an address-space limit
(``ulimit -v``) and by the variable ``HYBRIDSOLVE_MEMORY_LIMIT`` (bytes, or ``"512MB"``, ``"4GB"`` …),
which caps what hybridsolve allows itself on a shared machine. :func:`require` raises
:class:`InsufficientMemory` (a :class:`MemoryError`) when an estimate exceeds it.

The estimates (``*_bytes`` below) count the arrays the code allocates — grid arrays, the multigrid
hierarchy, the sparse LU factors, network weights and activations, kernel rows — not the interpreter
or the libraries; the tests hold each within a small factor of the measured allocation.

>>> import os
>>> need = grid_bytes((4097, 4097, 4097), arrays=9)
>>> format_bytes(need)
'4.95 TB'
>>> os.environ["HYBRIDSOLVE_MEMORY_LIMIT"] = "1GB"
>>> try:
...     require(need, "the grid arrays of a 3-D problem", fix="use a smaller n")
... except InsufficientMemory as exc:
...     print(str(exc))
the grid arrays of a 3-D problem would need about 4.95 TB of memory, but 1 GB is available (HYBRIDSOLVE_MEMORY_LIMIT=1GB); use a smaller n
>>> del os.environ["HYBRIDSOLVE_MEMORY_LIMIT"]
"""
from __future__ import annotations

import math
import os
import re

__all__ = ["InsufficientMemory", "ResourceCostWarning", "available", "require", "format_bytes", "parse_bytes",
           "grid_bytes", "largest_n", "ENV"]

ENV = "HYBRIDSOLVE_MEMORY_LIMIT"
_F64 = 8


class InsufficientMemory(MemoryError):
    """An estimate of what a call would allocate exceeds the memory available; nothing was allocated.
    ``needed`` and ``available`` are in bytes."""

    def __init__(self, message: str, needed: int = 0, available: int = 0):
        super().__init__(message)
        self.needed = int(needed)
        self.available = int(available)


class ResourceCostWarning(UserWarning):
    """A call that fits in memory but is expensive (gigabytes, or minutes), with a cheaper alternative."""


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(text) -> int:
    """``"4GB"`` → 4·10⁹, ``"512MiB"`` → 2²⁹, ``"1e9"`` → 10⁹ (what ``HYBRIDSOLVE_MEMORY_LIMIT`` holds).

    >>> parse_bytes("4GB"), parse_bytes("512MiB"), parse_bytes(1e9)
    (4000000000, 536870912, 1000000000)
    >>> parse_bytes("lots")
    Traceback (most recent call last):
    ...
    ValueError: HYBRIDSOLVE_MEMORY_LIMIT='lots' is not a size; use bytes or a number with a unit (512MB, 4GB, 2GiB)
    """
    m = re.fullmatch(r"\s*([0-9.]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(f"{ENV}={text!r} is not a size; use bytes or a number with a unit (512MB, 4GB, 2GiB)")
    return int(float(m.group(1)) * _UNITS[unit])


def format_bytes(n) -> str:
    """Bytes as a short decimal size.

    >>> format_bytes(1536), format_bytes(5.6e9), format_bytes(3)
    ('1.54 kB', '5.6 GB', '3 B')
    """
    n = float(n)
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _read_int(path) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room() -> int | None:
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        lim = _read_int(limit)
        if lim is not None and lim < 2**60:
            return max(lim - (_read_int(usage) or 0), 0)
    return None


def _address_space_room() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError):
        return None
    if soft in (resource.RLIM_INFINITY, -1) or soft <= 0:
        return None
    try:
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        vm = 0
    return max(soft - vm, 0)


def available() -> tuple[int, str]:
    """``(bytes, where from)``: what this process may allocate now — the least of the system's available
    memory, a cgroup limit, an address-space limit and ``HYBRIDSOLVE_MEMORY_LIMIT``.

    >>> avail, source = available()
    >>> avail > 0, isinstance(source, str)
    (True, True)
    """
    options = []
    sys_avail = _meminfo_available()
    if sys_avail is not None:
        options.append((sys_avail, "MemAvailable in /proc/meminfo"))
    room = _cgroup_room()
    if room is not None:
        options.append((room, "the cgroup memory limit"))
    room = _address_space_room()
    if room is not None:
        options.append((room, "the address-space limit (ulimit -v)"))
    if os.environ.get(ENV):
        options.append((parse_bytes(os.environ[ENV]), f"{ENV}={os.environ[ENV]}"))
    if not options:
        return 2**62, "no limit known"
    return min(options)


def require(nbytes: float, what: str, *, fix: str = "") -> None:
    """Raise :class:`InsufficientMemory` if ``nbytes`` (an estimate) exceeds :func:`available`; the
    message says ``what`` needs how much, what is available, and ``fix`` (what would fit)."""
    avail, source = available()
    if nbytes > avail:
        raise InsufficientMemory(
            f"{what} would need about {format_bytes(nbytes)} of memory, but {format_bytes(avail)} is available ({source})"
            + (f"; {fix}" if fix else ""), needed=int(nbytes), available=int(avail))


def grid_bytes(shape, arrays: float = 1.0, itemsize: int = _F64) -> int:
    """Bytes of ``arrays`` float arrays of ``shape`` (exact integer arithmetic: no overflow)."""
    return int(math.prod(int(s) for s in shape) * arrays * itemsize)


def largest_n(n: tuple, needed: float, avail: float, power: float = 1.0) -> int:
    """The largest per-axis ``n`` (scaling every axis alike) whose cost, growing like ``N**power``, fits
    in ``avail`` when ``n`` costs ``needed``.

    >>> largest_n((4096, 4096, 4096), 8e12, 8e9)
    409
    """
    if needed <= 0:
        return max(n)
    scale = (avail / needed) ** (1.0 / (len(n) * power))
    return max(2, int(max(n) * scale))

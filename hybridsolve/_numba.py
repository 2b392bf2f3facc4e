"""The Numba threading choice, made once per process and applied by every kernel factory.

Numba picks its threading layer when it first starts threads (the first parallel kernel that runs,
or the first ``numba.get_num_threads()``), and after that a new choice silently does nothing. So
hybridsolve makes the choice in one place, explicitly: every factory of Numba code in the package
(:mod:`hybridsolve.kernels`, the probes' Gaussian kernel, the benchmarks' triad) calls
:func:`configure` before it compiles anything. Nothing happens at import time.

The choice: the ``NUMBA_THREADING_LAYER`` environment variable when set (Numba's own; it wins),
otherwise ``"workqueue"``. Numba's default OpenMP layer spins while waiting at the end of each
parallel region; on a busy machine (more runnable threads than cores) that made a 2-thread
multigrid cycle 10× slower than one thread. The work-queue layer sleeps instead.

If Numba threads were already started with another layer (by code outside hybridsolve, before
the first hybridsolve kernel), the choice cannot apply in this process: :func:`configure` warns
(``RuntimeWarning``) once and keeps the running layer.

>>> layer = configure()
>>> layer == configure()   # idempotent: the choice is made once
True
"""
from __future__ import annotations

import os
import warnings

__all__ = ["configure", "DEFAULT_LAYER", "ENV_VAR"]

DEFAULT_LAYER = "workqueue"
ENV_VAR = "NUMBA_THREADING_LAYER"
# values of NUMBA_THREADING_LAYER that name a policy, not one layer: any running layer satisfies them
_POLICIES = ("default", "safe", "threadsafe", "forksafe")

_CHOICE: str | None = None


def _active_layer() -> str | None:
    """The layer Numba's threads run on, or None while no thread has started."""
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # "Threading layer is not initialized."
        return None


def configure() -> str:
    """Make the process-wide threading choice for Numba (once; later calls return it).

    Returns the layer name (or the ``NUMBA_THREADING_LAYER`` policy, e.g. ``"safe"``). Called by
    every kernel factory before it compiles; users need not call it, but may, before running
    other Numba code, to get the same layer there.

    >>> configure() in ("workqueue", "omp", "tbb", "default", "safe", "threadsafe", "forksafe")
    True
    """
    global _CHOICE
    if _CHOICE is not None:
        return _CHOICE
    import numba

    env = os.environ.get(ENV_VAR)
    wanted = env.strip().lower() if env else DEFAULT_LAYER
    active = _active_layer()
    if active is None:
        if not env:  # with the environment variable set, Numba has read it already
            numba.config.THREADING_LAYER = wanted
        _CHOICE = wanted
    else:
        if wanted not in _POLICIES and active != wanted:
            source = f"{ENV_VAR}={env}" if env else f"hybridsolve's default {DEFAULT_LAYER!r}"
            warnings.warn(
                f"Numba threads already run on the {active!r} threading layer, so {source} cannot apply "
                f"in this process (the layer is fixed when Numba first starts threads, here before the first "
                f"hybridsolve kernel); set {ENV_VAR} before starting Python, or call "
                f"hybridsolve._numba.configure() before any other Numba parallel code",
                RuntimeWarning, stacklevel=2)
        _CHOICE = active
    return _CHOICE

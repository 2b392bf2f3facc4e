"""hybridsolve: Poisson solvers (Numba relaxation, multigrid, fast direct, Deep Ritz, DNN→Jacobi
hybrids) compared frequency by frequency, and Frequency-Principle probes for classifiers.

>>> import hybridsolve as hs
>>> prob = hs.problems.paper_1d(n=1000)
>>> res = hs.solve(prob, "direct")
>>> bool(res.converged), res.u.shape
(True, (1001,))

``import hybridsolve`` imports neither torch, numba, scipy.sparse nor matplotlib, and changes no
process-wide setting; Numba kernels compile on first use (the threading choice is made then, once,
in :mod:`hybridsolve._numba`). Messages go to ``logging.getLogger("hybridsolve")`` (children per
module), which has only a NullHandler: nothing is shown unless the application configures logging.
"""
from __future__ import annotations

import importlib
import logging

from . import operators, problems
from .grid import Grid
from .history import History, Record
from .problem import PoissonProblem
from .result import SolveResult
from .solvers import methods, solve

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Grid", "PoissonProblem", "problems", "operators", "solve", "methods", "SolveResult",
    "History", "Record", "SpectralMonitor", "probes", "__version__",
]

# Attributes resolved on first access, keeping the import light.
_LAZY = {
    "SpectralMonitor": ("hybridsolve.monitor", "SpectralMonitor"),
    "probes": ("hybridsolve.probes", None),
    "plots": ("hybridsolve.plots", None),
    "switch": ("hybridsolve.switch", None),
    "spectral": ("hybridsolve.spectral", None),
}


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hybridsolve' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

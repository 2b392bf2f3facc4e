"""Solver families behind one entry point, :func:`solve`.

Each method is a function ``f(problem, *, option=..., ...) -> SolveResult`` registered by name
below as ``"module:function"``, imported on first use so that ``import hybridsolve`` stays light
(torch is imported only for the neural methods).
"""
from __future__ import annotations

import importlib
import logging

from .._util import check_options

_log = logging.getLogger(__name__)

__all__ = ["solve", "methods", "method_function"]

_METHODS = {
    "jacobi": "hybridsolve.solvers.relaxation:jacobi",
    "gauss_seidel": "hybridsolve.solvers.relaxation:gauss_seidel",
    "multigrid": "hybridsolve.solvers.multigrid:multigrid",
    "direct": "hybridsolve.solvers.direct:direct",
    "spsolve": "hybridsolve.solvers.direct:spsolve",
    "deep_ritz": "hybridsolve.solvers.deep_ritz.solver:deep_ritz",
    "hybrid": "hybridsolve.hybrid:hybrid",
}


def methods() -> list[str]:
    """Names accepted by :func:`solve`."""
    return list(_METHODS)


def method_function(method: str):
    """The function behind a method name (its docstring lists the options)."""
    try:
        target = _METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(_METHODS)}") from None
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def solve(problem, method: str, **options):
    """Solve a :class:`~hybridsolve.PoissonProblem` with the named method.

    Options are keyword-only and method-specific (see ``help(hybridsolve.solvers.method_function(m))``);
    unknown names raise ValueError listing the valid ones, and so does every bad argument (its message
    names it and says what is allowed), before any work. Common ones: ``rtol``, ``atol``,
    ``target_error`` (on ‖u − u_ref‖∞), ``maxiter``, ``reference``, ``monitor``, ``observe_every``.

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.paper_1d(n=64), "direct")
    >>> res.converged, res.u.shape
    (True, (65,))
    >>> hs.solve(hs.problems.paper_1d(n=64), "jacobi", omgea=1.0)
    Traceback (most recent call last):
    ...
    ValueError: unknown option(s) 'omgea' for method 'jacobi'; valid options: ...
    """
    from ..iteration import check_monitor
    from ..problem import require_problem

    func = method_function(method)
    check_options(func, options, f"method {method!r}")
    require_problem(problem)
    check_monitor(options.get("monitor"), problem)
    result = func(problem, **options)
    _log.debug("%s on %s: %r", method, getattr(problem, "name", problem), result)
    return result

"""Direct solvers: the type-I DST fast Poisson solver (O(N log N)) and SciPy's sparse LU as reference.

The DST mathematics (eigenvalues ``μ_k``, the solve ``A⁻¹ b = idst(dst(b) / μ)``) lives in
:mod:`hybridsolve.spectral.laplace`; ``eigenvalues``, ``solve_interior`` and ``dst_solve`` are
re-exported here.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse.linalg

from .._util import Stopwatch
from ..history import History, Record
from ..operators import matrix, residual_norm, rhs
from ..result import SolveResult
from ..spectral import dst_solve, eigenvalues, solve_interior

__all__ = ["dst_solve", "eigenvalues", "solve_interior", "direct", "spsolve"]


def _result(problem, u, seconds, method, reference):
    res_norm = residual_norm(problem, u)
    ref = problem.u_exact if reference is None else problem.reference(reference)
    err = None if ref is None else float(np.max(np.abs(u - ref)))
    data = {"residual": res_norm}
    if err is not None:
        data["error_inf"] = err
    hist = History([Record(method, 1, seconds, data)], meta={"method": method, "problem": problem.name})
    return SolveResult(u=u, converged=bool(np.all(np.isfinite(u))), iterations=1, wall_time=seconds,
                       history=hist, method=method, reason="direct", residual_norm=res_norm, error_inf=err)


def direct(problem, *, reference=None) -> SolveResult:
    """Fast Poisson solver by the type-I DST: exact for the discrete system up to rounding.

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.smooth_2d(n=64), "direct")
    >>> res.reason, res.residual_norm < 1e-8
    ('direct', True)
    """
    sw = Stopwatch().start()
    u = dst_solve(problem)
    return _result(problem, u, sw.stop(), "direct", reference)


def spsolve(problem, *, reference=None) -> SolveResult:
    """SciPy sparse direct solve (SuperLU) of ``A u = b``: the reference the fast solvers are checked against.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.smooth_2d(n=16)
    >>> bool(np.allclose(hs.solve(p, "spsolve").u, hs.solve(p, "direct").u, atol=1e-12))
    True
    """
    sw = Stopwatch().start()
    A = matrix(problem.grid).tocsc()
    x = scipy.sparse.linalg.spsolve(A, rhs(problem).ravel())
    u = problem.boundary_values.copy()
    u[problem.grid.interior] = x.reshape(problem.grid.interior_shape)
    return _result(problem, u, sw.stop(), "spsolve", reference)

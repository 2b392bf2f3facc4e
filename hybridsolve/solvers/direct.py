"""Direct solvers: the type-I DST fast Poisson solver (O(N log N)) and SciPy's sparse LU as reference.

The (2·dim+1)-point Laplacian with Dirichlet boundaries is diagonalised by the type-I discrete sine
transform on interior points: modes ``sin(i k π / n)``, eigenvalues ``μ_k = Σ_d (4/h_d²) sin²(k_d π / 2n_d)``.
"""
from __future__ import annotations

import os

import numpy as np
import scipy.fft
import scipy.sparse.linalg

from .._util import Stopwatch
from ..history import History, Record
from ..operators import matrix, residual_norm, rhs
from ..result import SolveResult

__all__ = ["dst_solve", "eigenvalues", "direct", "spsolve"]

_WORKERS = os.cpu_count() or 1


def eigenvalues(grid) -> np.ndarray:
    """``μ_k`` of ``A`` for interior modes ``k = 1 … n−1`` per axis, as an array of ``interior_shape``."""
    mu = np.zeros(grid.interior_shape)
    for d, (nd, hd) in enumerate(zip(grid.n, grid.h)):
        k = np.arange(1, nd)
        md = (4.0 / hd**2) * np.sin(k * np.pi / (2 * nd)) ** 2
        shape = [1] * grid.dim
        shape[d] = nd - 1
        mu = mu + md.reshape(shape)
    return mu


def solve_interior(b: np.ndarray, grid) -> np.ndarray:
    """``A⁻¹ b`` for ``b`` on interior points (DST-I forward, divide by μ, inverse)."""
    bhat = scipy.fft.dstn(b, type=1, workers=_WORKERS)
    bhat /= eigenvalues(grid)
    return scipy.fft.idstn(bhat, type=1, workers=_WORKERS)


def dst_solve(problem) -> np.ndarray:
    """The discrete solution ``u*`` on the full grid, boundary values included.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.sine(2, 32, (1, 1))
    >>> u = dst_solve(p)
    >>> bool(np.max(np.abs(u - p.u_exact)) < 2e-3)
    True
    """
    u = problem.boundary_values.copy()
    u[problem.grid.interior] = solve_interior(rhs(problem), problem.grid)
    return u


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

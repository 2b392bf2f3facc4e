"""Direct solvers: the type-I DST fast Poisson solver (O(N log N)) and SciPy's sparse LU as reference.

The DST mathematics (eigenvalues ``μ_k``, the solve ``A⁻¹ b = idst(dst(b) / μ)``) lives in
:mod:`hybridsolve.spectral.laplace`; ``eigenvalues``, ``solve_interior`` and ``dst_solve`` are
re-exported here.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _memory
from .._util import Stopwatch
from ..history import History, Record
from ..operators import matrix, residual_norm, rhs
from ..problem import require_problem
from ..result import SolveResult
from ..spectral import dst_solve, eigenvalues, solve_interior
from ..stopping import diverged

__all__ = ["dst_solve", "eigenvalues", "solve_interior", "direct", "spsolve", "dst_bytes", "lu_fill", "spsolve_cost"]

_BYTES_PER_FACTOR_ENTRY = 14   # SuperLU: value, row index and supernode bookkeeping (measured: 13–14 B)
_LU_FLOPS = 3e9                # factorisation rate of SuperLU on one core (measured 3–6 GFlop/s)


def dst_bytes(grid) -> int:
    """Estimated bytes of the DST solve: the right-hand side, its transform, the eigenvalues, the
    quotient, the inverse transform and the full-grid result (6 float64 arrays)."""
    return _memory.grid_bytes(grid.shape, arrays=6)


def lu_fill(grid) -> int:
    """Estimated entries of SuperLU's L + U factors of ``A`` (COLAMD ordering) on ``grid``'s unknowns:
    ``4N`` in 1-D, ``N (10.2 log₂N − 66)`` in 2-D, ``1.05 N^{5/3}`` in 3-D — fits of measured fill
    (2-D n = 32…512, 3-D n = 8…32, within 15 % on square and cubic grids, over-estimates on elongated ones).

    >>> import hybridsolve as hs
    >>> lu_fill(hs.Grid([(0, 1)] * 3, 32)) / 30288022 > 0.9     # measured L + U entries at n = 32
    True
    """
    N = float(grid.num_unknowns)
    if grid.dim == 1:
        per = 4.0
    elif grid.dim == 2:
        per = max(5.0, 10.2 * math.log2(max(N, 2.0)) - 66.0)
    else:
        per = max(7.0, 1.05 * N ** (2.0 / 3.0))
    return int(N * per)


def spsolve_cost(grid) -> tuple[int, float]:
    """``(bytes, seconds)`` estimated for :func:`spsolve` on ``grid``: the LU factors
    (:func:`lu_fill` × 14 B), the matrix and a few vectors; time from ``N·(fill/N)²`` flops at 3 GFlop/s."""
    N = grid.num_unknowns
    fill = lu_fill(grid)
    nnz_a = (2 * grid.dim + 1) * N
    nbytes = fill * _BYTES_PER_FACTOR_ENTRY + 3 * 12 * nnz_a + _memory.grid_bytes(grid.shape, arrays=4)
    return int(nbytes), N * (fill / N) ** 2 / _LU_FLOPS


def _reference(problem, reference):
    from ..stopping import StoppingRule

    if reference is None:
        return problem.u_exact
    return StoppingRule.from_options(problem, reference=reference, maxiter=0).reference


def _result(problem, u, seconds, method, ref):
    with np.errstate(over="ignore", invalid="ignore"):
        res_norm = residual_norm(problem, u) if np.all(np.isfinite(u)) else math.nan
    err = None if ref is None else float(np.max(np.abs(u - ref)))
    data = {"residual": res_norm}
    if err is not None:
        data["error_inf"] = err
    # an overflowing solve (a source near the float64 limit) is "diverged", never "converged"
    bad = diverged(res_norm, None) or (err is not None and not math.isfinite(err))
    reason = "diverged" if bad else "direct"
    hist = History([Record(method, 1, seconds, data)], meta={"method": method, "problem": problem.name})
    info = {}
    if bad:
        info["error"] = (f"the {method} solution is not finite (max |b| = {float(np.max(np.abs(rhs(problem)))):.3g}): "
                         "it overflows float64; rescale the problem (solve for u / s with source f / s)")
    return SolveResult(u=u, converged=not bad, iterations=1, wall_time=seconds, history=hist, method=method,
                       reason=reason, residual_norm=res_norm, error_inf=err, info=info)


def direct(problem, *, reference=None) -> SolveResult:
    """Fast Poisson solver by the type-I DST: exact for the discrete system up to rounding.

    A solution that overflows (a source near the float64 limit) is reported with reason ``"diverged"``
    and ``converged=False``; ``reference`` is checked like every solver's (finite, full grid).

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.smooth_2d(n=64), "direct")
    >>> res.reason, res.residual_norm < 1e-8
    ('direct', True)
    >>> bad = hs.solve(hs.PoissonProblem(domain=[(0, 1)], n=64, source=1e308), "direct")
    >>> bad.converged, bad.reason
    (False, 'diverged')
    """
    require_problem(problem)
    ref = _reference(problem, reference)
    grid = problem.grid
    need = dst_bytes(grid)
    _memory.require(need, f"the DST solve on n={grid.n}", fix=f"use a smaller n (about n="
                    f"{_memory.largest_n(grid.n, need, _memory.available()[0])} per axis fits)")
    sw = Stopwatch().start()
    with np.errstate(over="ignore", invalid="ignore"):
        u = dst_solve(problem)
    return _result(problem, u, sw.stop(), "direct", ref)


def spsolve(problem, *, reference=None) -> SolveResult:
    """SciPy sparse direct solve (SuperLU) of ``A u = b``: the reference the fast solvers are checked against.

    Its LU factors fill in (``~N^{5/3}`` entries in 3-D): the estimate (:func:`spsolve_cost`) is checked
    against the available memory before anything is built (:class:`~hybridsolve._memory.InsufficientMemory`
    when it does not fit), and a solve estimated at more than 2 GB or 30 s warns
    (:class:`~hybridsolve._memory.ResourceCostWarning`) — ``"direct"`` gives the same u* in O(N log N).

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.smooth_2d(n=16)
    >>> bool(np.allclose(hs.solve(p, "spsolve").u, hs.solve(p, "direct").u, atol=1e-12))
    True
    """
    import scipy.sparse.linalg

    require_problem(problem)
    ref = _reference(problem, reference)
    grid = problem.grid
    nbytes, secs = spsolve_cost(grid)
    size = f"n={grid.n if grid.dim > 1 else grid.n[0]} ({grid.num_unknowns:,} unknowns)"
    _memory.require(nbytes, f"spsolve on {size}: SuperLU's LU factors (about {lu_fill(grid):,} entries)",
                    fix="use method='direct' (the DST fast solver: the same u* in O(N log N) time and O(N) memory), "
                        "'multigrid', or a smaller n")
    if nbytes > 2e9 or secs > 30:
        warnings.warn(f"spsolve on {size}: SuperLU's LU factors need about {_memory.format_bytes(nbytes)} and the "
                      f"factorisation roughly {secs:.0f} s; method='direct' gives the same u* in O(N log N)",
                      _memory.ResourceCostWarning, stacklevel=3)
    sw = Stopwatch().start()
    A = matrix(problem.grid).tocsc()
    with np.errstate(over="ignore", invalid="ignore"):
        x = scipy.sparse.linalg.spsolve(A, rhs(problem).ravel())
    u = problem.boundary_values.copy()
    u[problem.grid.interior] = x.reshape(problem.grid.interior_shape)
    return _result(problem, u, sw.stop(), "spsolve", ref)

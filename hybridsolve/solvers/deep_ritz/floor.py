"""The β floor: the exact minimiser of the discrete Ritz energy with the soft boundary penalty.

With the soft boundary condition, eq. (23) penalises ``β Σ_boundary (u − g)²`` instead of imposing
``u = g``; its minimiser is not the discrete solution u*: on the boundary it satisfies a Robin
condition (``∂u/∂n + 2β(u − g) = 0`` in 1-D, up to the grid's weights), so its boundary values — and
through them its interior — are off by about ``|∂u/∂n| / (2β)``. Training cannot do better than this
minimiser (if the network behaves as a smooth function: a *hypothesis* about networks, exact for grid
functions), so its error against u_ref is a floor for the Deep Ritz error at that β.

The energy here is eq. (23) over grid functions, with gradients as differences along grid edges::

    I_h(u) = Σ_d Σ_{edges along d touching the interior} ½ δx^d ((u_a − u_b)/h_d)²
             − δx^d Σ_interior f u + β Σ_boundary (u − g)²

(``δx^d`` the cell volume, ``β`` per boundary node, the weights of the package's Ritz batch). Its
Euler–Lagrange equations are the package's 5-point equations ``(A u)_i = f_i`` at interior nodes
(boundary nodes as unknowns) and, at a boundary node ``b``,
``Σ_{edges (b, a)} δx^d (u_b − u_a)/h_d² + 2β (u_b − g_b) = 0``: one sparse linear solve.

>>> import hybridsolve as hs
>>> f = beta_floor(hs.problems.paper_1d(n=1000), beta=10.0)
>>> f.error_ref > 1e-3       # the paper's β = 10 cannot reach τ = 1e-3 on paper_1d
True
>>> beta_floor(hs.problems.paper_1d(n=1000), beta=1e6).error_ref < 1e-4
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BetaFloor", "beta_floor", "floor_system"]


@dataclass(frozen=True)
class BetaFloor:
    """The minimiser ``u`` (full grid) of the discrete eq. (23) at ``beta``, its errors (∞-norm, full grid)
    against the reference u_ref (``error_ref``; None without one) and the discrete solution u*
    (``error_star``), its largest boundary error, and the exact Jacobi sweeps (ω = ``omega``) from it to
    ``target_error`` (None when no target was given; ``math.inf`` if unreachable)."""

    beta: float
    u: np.ndarray
    error_ref: float | None
    error_star: float
    boundary_error: float
    target_error: float | None = None
    sweeps: float | None = None

    def as_dict(self) -> dict:
        """The numbers (no array), JSON-ready (an infinite sweep count as None)."""
        sweeps = None if self.sweeps is None or math.isinf(self.sweeps) else int(self.sweeps)
        return {"beta": self.beta, "error_ref": self.error_ref, "error_star": self.error_star,
                "boundary_error": self.boundary_error, "target_error": self.target_error, "sweeps": sweeps}


def floor_system(problem, beta: float):
    """The matrix and right-hand side ``(K, F)`` of the Euler–Lagrange equations over all grid nodes
    (C order, boundary included): ``K u = F`` at the minimiser.

    >>> import hybridsolve as hs
    >>> K, F = floor_system(hs.problems.paper_1d(n=4), 10.0)
    >>> K.shape, F.shape
    ((5, 5), (5,))
    """
    import scipy.sparse as sp

    grid = problem.grid
    shape = grid.shape
    N = int(np.prod(shape))
    vol = float(np.prod(grid.h))
    idx = np.arange(N).reshape(shape)
    bmask = grid.boundary_mask()
    rows, cols, vals = [], [], []
    for d in range(grid.dim):
        lo = [slice(None)] * grid.dim
        hi = [slice(None)] * grid.dim
        lo[d], hi[d] = slice(0, -1), slice(1, None)
        a, b = idx[tuple(lo)].ravel(), idx[tuple(hi)].ravel()
        keep = ~(bmask[tuple(lo)].ravel() & bmask[tuple(hi)].ravel())  # edges touching the interior
        a, b = a[keep], b[keep]
        w = vol / grid.h[d] ** 2
        # w (u_a − u_b)² / 2 contributes w [[1, −1], [−1, 1]] to the Hessian
        rows += [a, b, a, b]
        cols += [a, b, b, a]
        vals += [np.full(a.size, w), np.full(a.size, w), np.full(a.size, -w), np.full(a.size, -w)]
    flat_b = bmask.ravel()
    rows.append(np.flatnonzero(flat_b))
    cols.append(np.flatnonzero(flat_b))
    vals.append(np.full(int(flat_b.sum()), 2.0 * float(beta)))
    K = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N))
    F = np.where(flat_b, 2.0 * float(beta) * problem.boundary_values.ravel(), vol * np.asarray(problem.f).ravel())
    return K, F


def beta_floor(problem, beta: float, *, target_error: float | None = None, omega: float = 1.0) -> BetaFloor:
    """The exact minimiser of the discrete eq. (23) at ``beta`` (see the module) and what it means for
    a target: its error against u_ref and u*, and the least Jacobi sweeps from it to ``target_error``.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=200)
    >>> f = beta_floor(p, 10.0, target_error=1e-2)
    >>> f.error_star < f.error_ref + 1e-3, f.sweeps >= 0
    (True, True)
    """
    import scipy.sparse.linalg as spla

    from ..._util import require_finite

    beta = require_finite("beta", beta)
    if beta <= 0:
        raise ValueError(f"beta must be > 0 (the boundary penalty weight); got {beta}")
    K, F = floor_system(problem, beta)
    u = spla.spsolve(K.tocsc(), F).reshape(problem.grid.shape)
    ustar = problem.discrete_solution()
    ref = problem.u_exact
    bmask = problem.grid.boundary_mask()
    sweeps = None
    if target_error is not None:
        from ...spectral.jacobi import exact_jacobi_sweeps

        sweeps = exact_jacobi_sweeps(problem, u, float(target_error), omega=omega,
                                     reference="exact" if ref is not None else "discrete")
    return BetaFloor(
        beta=beta, u=u,
        error_ref=float(np.max(np.abs(u - ref))) if ref is not None else None,
        error_star=float(np.max(np.abs(u - ustar))),
        boundary_error=float(np.max(np.abs((u - problem.boundary_values)[bmask]))),
        target_error=None if target_error is None else float(target_error), sweeps=sweeps)

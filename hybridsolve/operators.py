"""NumPy reference operators: the ground truth the Numba kernels and fast solvers are tested against.

Convention: ``A = -Δ_h``, the (2·dim+1)-point negative Laplacian on interior points, so ``A`` is
symmetric positive definite and ``A u = b`` with ``b = f + (boundary values lifted in)``.
Grid functions are full-grid arrays (boundary included); operator outputs live on interior points.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .problem import require_problem

if TYPE_CHECKING:  # scipy.sparse is imported where it is used: `import hybridsolve` stays light
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator

__all__ = ["apply_laplacian", "residual", "rhs", "matrix", "linear_operator", "residual_norm", "norm2", "diagonal"]


def apply_laplacian(u: np.ndarray, h) -> np.ndarray:
    """``(-Δ_h u)`` on interior points of a full-grid array ``u`` (boundary values are used).

    >>> import numpy as np
    >>> x = np.linspace(0, 1, 11)
    >>> np.allclose(apply_laplacian(x**2, (0.1,)), -2.0)
    True
    """
    u = np.asarray(u, dtype=float)
    h = tuple(h)
    ndim = u.ndim
    out = _diagonal(h) * u[_inner(ndim)]
    tmp = np.empty_like(out)
    for d, hd in enumerate(h):
        lo, hi = _shifted(ndim, d)
        np.add(u[lo], u[hi], out=tmp)
        tmp *= 1.0 / hd**2
        out -= tmp
    return out


def residual(problem, u: np.ndarray, *, boundary: str = "iterate") -> np.ndarray:
    """``r = b - A u`` on interior points of the full-grid iterate ``u``.

    ``boundary="iterate"`` (default) takes the boundary values ``u`` carries; ``boundary="problem"``
    the problem's, whatever ``u`` holds there: ``r = rhs(problem) − A u_interior``, the residual of
    the unknowns alone (what the error spectrum ``ê = −r̂/μ`` of ``u − u*`` needs). The two agree
    when ``u`` carries the problem's boundary values, as every solver's iterates do.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=8)
    >>> u = p.discrete_solution(); u[0] += 1.0            # a wrong boundary value
    >>> float(np.abs(residual(p, u, boundary="problem")).max()) < 1e-12, float(residual(p, u)[0])
    (True, 16.0)
    """
    require_problem(problem)
    problem.check_shape(u)
    if boundary not in ("iterate", "problem"):
        raise ValueError(f"boundary={boundary!r}; valid: 'iterate' (u's own boundary values) or 'problem'")
    u = np.asarray(u, dtype=float)
    grid = problem.grid
    r = apply_laplacian(u, grid.h)
    np.subtract(problem.f[_inner(u.ndim)], r, out=r)
    if boundary == "problem":  # swap u's boundary values for the problem's in the stencil
        g = problem.boundary_values
        for d, hd in enumerate(grid.h):
            w = 1.0 / hd**2
            for face, layer in _faces(u.ndim, d):
                r[layer] += w * (g[face] - u[face])
    return r


@lru_cache(maxsize=64)
def _diagonal(h: tuple) -> float:
    return float(sum(2.0 / hd**2 for hd in h))


@lru_cache(maxsize=None)
def _inner(ndim: int) -> tuple:
    return (slice(1, -1),) * ndim


@lru_cache(maxsize=None)
def _shifted(ndim: int, d: int) -> tuple:
    """Slices of a full-grid array: the interior moved one point down / up along axis ``d``."""
    lo = [slice(1, -1)] * ndim
    hi = [slice(1, -1)] * ndim
    lo[d], hi[d] = slice(0, -2), slice(2, None)
    return tuple(lo), tuple(hi)


@lru_cache(maxsize=None)
def _faces(ndim: int, d: int) -> tuple:
    """(face of the full grid, the interior layer next to it) for the low and the high side of axis ``d``
    (faces without their edges: only those points enter the stencil)."""
    out = []
    for side in (0, -1):
        face = [slice(1, -1)] * ndim
        layer = [slice(None)] * ndim
        face[d], layer[d] = side, side
        out.append((tuple(face), tuple(layer)))
    return tuple(out)


def norm2(a) -> float:
    """Euclidean norm that does not overflow for entries past 1e154 (scaled by the largest entry there).

    >>> norm2(np.array([3e200, 4e200])), norm2(np.array([3.0, 4.0]))
    (5e+200, 5.0)
    """
    a = np.ravel(a)
    if a.size == 0:
        return 0.0
    m = float(np.max(np.abs(a)))
    if not np.isfinite(m) or m == 0.0:
        return m
    if 1e-150 < m < 1e150:
        return float(np.linalg.norm(a))
    return m * float(np.linalg.norm(a / m))


def residual_norm(problem, u: np.ndarray) -> float:
    """Euclidean norm ``‖b - A u‖₂`` over the unknowns (SciPy's convention)."""
    return norm2(residual(problem, u))


def rhs(problem) -> np.ndarray:
    """``b`` on interior points: the source plus the boundary values moved to the right-hand side."""
    g = problem.boundary_values
    return problem.f[problem.grid.interior] - apply_laplacian(g, problem.grid.h)


def diagonal(grid) -> float:
    """The (constant) diagonal of ``A``: ``Σ_d 2 / h_d²``.

    >>> from hybridsolve import Grid
    >>> diagonal(Grid([(0, 1), (0, 1)], 4))   # 2·16 + 2·16
    64.0
    """
    return _diagonal(tuple(grid.h))


def _second_difference(m: int, hd: float) -> sp.csr_matrix:
    import scipy.sparse as sp

    main = np.full(m, 2.0 / hd**2)
    off = np.full(m - 1, -1.0 / hd**2)
    return sp.diags([off, main, off], [-1, 0, 1], format="csr")


def matrix(grid) -> sp.csr_matrix:
    """``A`` as a scipy.sparse CSR matrix over interior points in C order (last axis fastest).

    >>> from hybridsolve import Grid
    >>> matrix(Grid([(0, 1), (0, 1)], 4)).shape
    (9, 9)
    """
    import scipy.sparse as sp

    m = grid.interior_shape
    A = None
    for d in range(grid.dim):
        term = None
        for e in range(grid.dim):
            block = _second_difference(m[e], grid.h[e]) if e == d else sp.identity(m[e], format="csr")
            term = block if term is None else sp.kron(term, block, format="csr")
        A = term if A is None else A + term
    return A.tocsr()


def linear_operator(grid) -> LinearOperator:
    """``A`` as a matrix-free scipy LinearOperator on flattened interior vectors (for SciPy / PyAMG).

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> g = Grid([(0, 1), (0, 1)], 4)
    >>> bool(np.allclose(linear_operator(g) @ np.ones(9), matrix(g) @ np.ones(9)))
    True
    """
    from scipy.sparse.linalg import LinearOperator

    m = grid.interior_shape
    h = grid.h

    def matvec(v):
        full = np.zeros(grid.shape)
        full[grid.interior] = np.asarray(v, dtype=float).reshape(m)
        return apply_laplacian(full, h).ravel()

    return LinearOperator((grid.num_unknowns, grid.num_unknowns), matvec=matvec, rmatvec=matvec, dtype=float)

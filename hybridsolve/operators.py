"""NumPy reference operators: the ground truth the Numba kernels and fast solvers are tested against.

Convention: ``A = -Δ_h``, the (2·dim+1)-point negative Laplacian on interior points, so ``A`` is
symmetric positive definite and ``A u = b`` with ``b = f + (boundary values lifted in)``.
Grid functions are full-grid arrays (boundary included); operator outputs live on interior points.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy.sparse is imported where it is used: `import hybridsolve` stays light
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator

__all__ = ["apply_laplacian", "residual", "rhs", "matrix", "linear_operator", "residual_norm", "diagonal"]


def apply_laplacian(u: np.ndarray, h) -> np.ndarray:
    """``(-Δ_h u)`` on interior points of a full-grid array ``u`` (boundary values are used).

    >>> import numpy as np
    >>> x = np.linspace(0, 1, 11)
    >>> np.allclose(apply_laplacian(x**2, (0.1,)), -2.0)
    True
    """
    u = np.asarray(u, dtype=float)
    h = tuple(h)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    out = np.zeros(tuple(s - 2 for s in u.shape))
    for d in range(u.ndim):
        lo = list(inner)
        hi = list(inner)
        lo[d] = slice(0, -2)
        hi[d] = slice(2, None)
        out += (2.0 * u[inner] - u[tuple(lo)] - u[tuple(hi)]) / h[d] ** 2
    return out


def residual(problem, u: np.ndarray) -> np.ndarray:
    """``r = b - A u`` on interior points; ``u`` is a full-grid array carrying the boundary values."""
    problem.check_shape(u)
    return problem.f[problem.grid.interior] - apply_laplacian(u, problem.grid.h)


def residual_norm(problem, u: np.ndarray) -> float:
    """Euclidean norm ``‖b - A u‖₂`` over the unknowns (SciPy's convention)."""
    return float(np.linalg.norm(residual(problem, u).ravel()))


def rhs(problem) -> np.ndarray:
    """``b`` on interior points: the source plus the boundary values moved to the right-hand side."""
    g = problem.boundary_values
    return problem.f[problem.grid.interior] - apply_laplacian(g, problem.grid.h)


def diagonal(grid) -> float:
    """The (constant) diagonal of ``A``: ``Σ_d 2 / h_d²``."""
    return float(sum(2.0 / hd**2 for hd in grid.h))


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

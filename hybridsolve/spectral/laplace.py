"""The discrete Laplacian in its eigenbasis: eigenvalues ``μ_k`` and the DST direct solve.

``A = −Δ_h`` (the 2·dim+1-point Laplacian with Dirichlet boundaries) is diagonalised by the type-I
sine modes ``v_k,i = Π_d sin(i_d k_d π / n_d)`` on interior points, with eigenvalues
``μ_k = Σ_d (4/h_d²) sin²(k_d π / 2n_d)``. So ``A⁻¹ b = idst(dst(b) / μ)``: a direct solve in
O(N log N).

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.smooth_2d(n=16)
>>> bool(np.allclose(dst_solve(p), hs.solve(p, "spsolve").u, atol=1e-12))
True
"""
from __future__ import annotations

import numpy as np

from ..operators import rhs
from .transforms import dst, idst

__all__ = ["eigenvalues", "solve_interior", "dst_solve"]


def eigenvalues(grid) -> np.ndarray:
    """``μ_k`` of ``A`` for interior modes ``k = 1 … n−1`` per axis, as an array of ``interior_shape``.

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> mu = eigenvalues(Grid([(0, 1)], 4))                   # h = 1/4: (4/h²) sin²(kπ/8)
    >>> bool(np.allclose(mu, 64 * np.sin(np.arange(1, 4) * np.pi / 8) ** 2))
    True
    >>> eigenvalues(Grid([(0, 1), (0, 2)], (4, 6))).shape
    (3, 5)
    """
    mu = np.zeros(grid.interior_shape)
    for d, (nd, hd) in enumerate(zip(grid.n, grid.h)):
        k = np.arange(1, nd)
        md = (4.0 / hd**2) * np.sin(k * np.pi / (2 * nd)) ** 2
        shape = [1] * grid.dim
        shape[d] = nd - 1
        mu = mu + md.reshape(shape)
    return mu


def solve_interior(b: np.ndarray, grid, mu: np.ndarray | None = None) -> np.ndarray:
    """``A⁻¹ b`` for ``b`` on interior points (zero Dirichlet values): DST-I, divide by ``μ``, inverse.
    ``mu`` may pass :func:`eigenvalues` ``(grid)`` computed once.

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> g = Grid([(0, 1)], 8); i = np.arange(1, 8)
    >>> v = np.sin(2 * i * np.pi / 8)                          # an eigenvector of A
    >>> bool(np.allclose(solve_interior(v, g), v / eigenvalues(g)[1]))
    True
    """
    c = dst(b)
    c /= eigenvalues(grid) if mu is None else mu
    return idst(c)


def dst_solve(problem) -> np.ndarray:
    """The discrete solution ``u*`` of ``A u = b`` on the full grid, boundary values included.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.sine(2, 32, (1, 1))
    >>> u = dst_solve(p)
    >>> bool(np.max(np.abs(u - p.u_exact)) < 2e-3)
    True
    """
    u = problem.boundary_values.copy()
    u[problem.grid.interior] = solve_interior(rhs(problem), problem.grid)
    return u

"""A multigrid preconditioner with Galerkin coarse operators, for SciPy's Krylov solvers.

The geometric hierarchy of :class:`~hybridsolve.solvers.multigrid.Multigrid` re-discretises the
Laplacian on every level; as a *solver* that is cheap and good, but in a *symmetric* cycle (what CG
needs) its coarse-grid correction is not an A-orthogonal projection, and the cycle's contraction
stalls near 0.08 per cycle on the 2-D Poisson problem however much it smooths (measured: V(ν,ν) with
ν = 2…5 sweeps all give 5–6 CG iterations to 1e-8 at n = 256, docs/solving.md). Here the coarse
operators are ``A_c = Pᵀ A P`` with ``P`` the (bi/tri)linear interpolation of the same geometric
hierarchy, so each correction is the A-orthogonal projection onto the coarse space, and smoothing is
symmetric Gauss–Seidel (a forward then a backward lexicographic sweep, Numba on CSR) before and after,
so the V/W-cycle is a symmetric positive definite operator.

>>> import numpy as np, scipy.sparse.linalg as spla, hybridsolve as hs
>>> p = hs.problems.smooth_2d(n=64)
>>> A, b = hs.operators.matrix(p.grid), hs.operators.rhs(p).ravel()
>>> M = GalerkinPreconditioner(p.grid)
>>> x, info = spla.cg(A, b, M=M, rtol=1e-10)
>>> info, bool(np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b))
(0, True)
"""
from __future__ import annotations

import numpy as np

from .. import kernels
from .._util import require_int
from .. import operators

__all__ = ["GalerkinPreconditioner", "interpolation"]


def _interpolation_1d(m: int):
    """Linear interpolation from ``m // 2`` to ``m`` intervals, on interior points (CSR)."""
    import scipy.sparse as sp

    nc, nf = m // 2 - 1, m - 1
    cols = np.repeat(np.arange(nc), 3)
    rows = (2 * cols + 1) + np.tile([-1, 0, 1], nc)
    vals = np.tile([0.5, 1.0, 0.5], nc)
    return sp.csr_matrix((vals, (rows, cols)), shape=(nf, nc))


def interpolation(n: tuple):
    """(Bi/tri)linear interpolation from the grid with ``n // 2`` intervals per axis to ``n``, as a sparse
    matrix on interior points in C order (as :func:`hybridsolve.operators.matrix`).

    >>> interpolation((8, 8)).shape
    (49, 9)
    """
    import scipy.sparse as sp

    P = None
    for m in n:
        P1 = _interpolation_1d(int(m))
        P = P1 if P is None else sp.kron(P, P1, format="csr")
    return P.tocsr()


class _Level:
    def __init__(self, A, P):
        self.A, self.P = A, P
        self.R = None if P is None else P.T.tocsr()
        self.diag = A.diagonal().copy()


class GalerkinPreconditioner:
    """One V- or W-cycle for ``A e = r`` (zero guess) as a :class:`scipy.sparse.linalg.LinearOperator`-like
    object (``M @ r``, ``M.matvec``, ``shape``; pass it as ``M=`` to ``scipy.sparse.linalg.cg``).

    ``grid``: a :class:`~hybridsolve.Grid`; ``nu`` symmetric Gauss–Seidel sweeps before and after the coarse
    correction on every level (each sweep a forward and a backward pass); ``coarsest``: levels are
    halved as in :func:`~hybridsolve.solvers.multigrid.levels_for`, the coarsest solved by a sparse LU.
    Also reached as ``Multigrid(p).aspreconditioner(coarse="galerkin")``.
    """

    def __init__(self, grid, *, cycle: str = "V", nu: int = 2, coarsest: int = 16):
        import scipy.sparse.linalg as spla

        from .multigrid import _check_coarsenable

        if cycle not in ("V", "W"):
            raise ValueError(f"unknown preconditioner cycle {cycle!r}; valid: 'V', 'W'")
        self._sgs = kernels.symmetric_gauss_seidel_csr()
        self.cycle, self.nu = cycle, require_int("nu", nu, minimum=1)
        ns = _check_coarsenable(grid.n, require_int("coarsest", coarsest, minimum=2))
        A = operators.matrix(grid).tocsr()
        self.levels = []
        for n in ns[:-1]:
            P = interpolation(n)
            self.levels.append(_Level(A, P))
            A = (P.T @ A @ P).tocsr()
        self.levels.append(_Level(A, None))
        self._coarse = spla.splu(A.tocsc())
        N = self.levels[0].A.shape[0]
        self.shape, self.dtype = (N, N), np.dtype(np.float64)

    @property
    def operator_complexity(self) -> float:
        """Nonzeros of all levels over those of the finest (PyAMG's measure of a hierarchy's cost)."""
        return sum(L.A.nnz for L in self.levels) / self.levels[0].A.nnz

    def _smooth(self, L, x, b):
        A = L.A
        self._sgs(A.indptr, A.indices, A.data, L.diag, x, b, self.nu)

    def _cycle(self, l: int, r: np.ndarray) -> np.ndarray:
        L = self.levels[l]
        if L.P is None:
            return self._coarse.solve(r)
        x = np.zeros_like(r)
        self._smooth(L, x, r)
        rc = L.R @ (r - L.A @ x)
        ec = self._cycle(l + 1, rc)
        if self.cycle == "W" and l + 2 < len(self.levels):
            C = self.levels[l + 1]
            ec += self._cycle(l + 1, rc - C.A @ ec)
        x += L.P @ ec
        self._smooth(L, x, r)
        return x

    def matvec(self, r) -> np.ndarray:
        r = np.asarray(r, dtype=np.float64)
        N = self.shape[0]
        if r.size != N:
            raise ValueError(f"the preconditioner acts on vectors of {N} interior values; got shape {r.shape}")
        return self._cycle(0, np.ascontiguousarray(r.ravel())).reshape(r.shape)

    rmatvec = matvec  # symmetric

    def __matmul__(self, r):
        return self.matvec(r)

    def aslinearoperator(self):
        """The same cycle as a :class:`scipy.sparse.linalg.LinearOperator`."""
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(self.shape, matvec=self.matvec, rmatvec=self.matvec, dtype=np.float64)

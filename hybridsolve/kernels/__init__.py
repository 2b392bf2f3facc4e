"""Numba kernels for the classical solvers: relaxation sweeps, residual, restriction, prolongation.

Modules: :mod:`~hybridsolve.kernels.relax` (weighted Jacobi, red-black Gauss–Seidel/SOR, their
coefficients), :mod:`~hybridsolve.kernels.stencil` (residual and its squared norm),
:mod:`~hybridsolve.kernels.transfer` (restriction, prolongation, cubic interpolation),
:mod:`~hybridsolve.kernels.norms` (norms of a difference) and
:mod:`~hybridsolve.kernels.reference` (the NumPy versions every kernel is tested against). Every
name is re-exported here: call sites use ``kernels.jacobi``, ``kernels.residual``, …

Every kernel comes from a factory (``jacobi(dim)``, ``red_black(dim)``, …) that builds and caches
an ``@njit(cache=True)`` function for one dimension, compiled lazily on first use. Before it
compiles, every factory calls :func:`hybridsolve._numba.configure`, the one place where the Numba
threading layer is chosen (importing this package changes no setting). Grid-dependent constants
(ω, 1/h², the diagonal) are passed as scalars, so one compiled kernel serves every grid and every
multigrid level (few specialisations, short compile times). 2-D and 3-D kernels use ``prange``
over the outermost axis; the 1-D kernels are serial (a 1-D line of 1000 points is far below the
cost of starting threads) and do ``count`` sweeps in one call so Python overhead is paid once.

Serial and parallel builds (``parallel=False``/``True``) must have distinct on-disk cache entries:
Numba's cache key ignores ``parallel=`` but includes closure values, so every threaded kernel
references ``parallel`` in its body.

Conventions (as in :mod:`hybridsolve.operators`): grid functions are C-contiguous float64
full-grid arrays with boundary values in place; ``A = -Δ_h`` with diagonal ``a = Σ_d 2/h_d²``.
A relaxation step writes ``u_new = c0·u + cf·f + Σ_d c_d·(u[-e_d] + u[+e_d])`` on interior points,
with ``c0 = 1 − ω``, ``cf = ω/a``, ``c_d = ω/(a h_d²)`` (:func:`coefficients`).

>>> import numpy as np
>>> u = np.zeros(9); f = np.ones(9)
>>> c = coefficients((0.125,), omega=1.0)
>>> jacobi(1)(u, np.empty_like(u), f, 3, *c)
>>> np.allclose(u, ref_jacobi(np.zeros(9), f, (0.125,), 1.0, 3))
True
"""
from __future__ import annotations

from .norms import _diff_norms_kernel, diff_norms
from .reference import ref_interpolate_cubic, ref_jacobi, ref_prolong_add, ref_red_black, ref_restrict
from .relax import PARALLEL_MIN_POINTS, coefficients, jacobi, red_black, symmetric_gauss_seidel_csr, use_parallel
from .stencil import residual, residual_sumsq
from .transfer import interpolate_cubic, prolong_add, restrict

__all__ = [
    "coefficients", "use_parallel", "PARALLEL_MIN_POINTS", "jacobi", "red_black", "residual", "residual_sumsq",
    "restrict", "prolong_add", "interpolate_cubic", "diff_norms",
    "ref_jacobi", "ref_red_black", "ref_restrict", "ref_prolong_add", "ref_interpolate_cubic",
]

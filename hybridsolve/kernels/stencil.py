"""Stencil kernels: the residual ``r = f − A u`` (stored) and its squared norm (not stored).

The reference is :func:`hybridsolve.operators.residual` (``f − apply_laplacian(u, h)``).

>>> import numpy as np
>>> from hybridsolve.operators import apply_laplacian
>>> u, f = np.linspace(0, 1, 9) ** 2, np.ones(9)
>>> r = np.zeros(9)
>>> residual(1)(u, f, r, 64.0)
>>> bool(np.allclose(r[1:-1], f[1:-1] - apply_laplacian(u, (0.125,))))
True
>>> bool(np.isclose(residual_sumsq(1)(u, f, 64.0), np.sum(r**2)))
True
"""
from __future__ import annotations

import functools

from numba import njit, prange

from .._numba import configure
from .relax import _check_dim

__all__ = ["residual", "residual_sumsq"]


@functools.lru_cache(maxsize=None)
def residual(dim: int, parallel: bool = True):
    """Kernel ``k(u, f, r, ih_1[, ih_2[, ih_3]])`` writing ``r = f − A u`` on interior points (``ih_d = 1/h_d²``).

    The boundary of ``r`` is not touched (keep it zero for restriction).

    >>> import numpy as np
    >>> r = np.zeros(5)
    >>> residual(1)(np.zeros(5), np.ones(5), r, 16.0)
    >>> r.tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    _check_dim(dim)
    configure()
    if dim == 1:
        @njit(cache=True)
        def res1(u, f, r, ih1):
            for i in range(1, u.shape[0] - 1):
                r[i] = f[i] - (2.0 * u[i] - u[i - 1] - u[i + 1]) * ih1
        return res1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def res2(u, f, r, ih1, ih2):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            m0, m1 = u.shape
            for i in prange(1, m0 - 1):
                for j in range(1, m1 - 1):
                    c = 2.0 * u[i, j]
                    r[i, j] = f[i, j] - ((c - u[i - 1, j] - u[i + 1, j]) * ih1
                                         + (c - u[i, j - 1] - u[i, j + 1]) * ih2)
        return res2

    @njit(cache=True, parallel=parallel)
    def res3(u, f, r, ih1, ih2, ih3):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        m0, m1, m2 = u.shape
        for i in prange(1, m0 - 1):
            for j in range(1, m1 - 1):
                for k in range(1, m2 - 1):
                    c = 2.0 * u[i, j, k]
                    r[i, j, k] = f[i, j, k] - ((c - u[i - 1, j, k] - u[i + 1, j, k]) * ih1
                                               + (c - u[i, j - 1, k] - u[i, j + 1, k]) * ih2
                                               + (c - u[i, j, k - 1] - u[i, j, k + 1]) * ih3)
    return res3


@functools.lru_cache(maxsize=None)
def residual_sumsq(dim: int, parallel: bool = True):
    """Kernel ``k(u, f, ih_1[, …]) -> Σ r_i²`` over interior points, without storing ``r``.

    Compiled with ``fastmath={"reassoc"}`` so the sum vectorises (its rounding differs from a
    sequential sum by a few ulps; NaN and inf still propagate).

    >>> import numpy as np
    >>> residual_sumsq(1)(np.zeros(5), np.ones(5), 16.0)
    3.0
    """
    _check_dim(dim)
    configure()
    if dim == 1:
        @njit(cache=True, fastmath={"reassoc"})
        def rs1(u, f, ih1):
            s = 0.0
            for i in range(1, u.shape[0] - 1):
                r = f[i] - (2.0 * u[i] - u[i - 1] - u[i + 1]) * ih1
                s += r * r
            return s
        return rs1
    if dim == 2:
        @njit(cache=True, parallel=parallel, fastmath={"reassoc"})
        def rs2(u, f, ih1, ih2):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            m0, m1 = u.shape
            s = 0.0
            for i in prange(1, m0 - 1):
                t = 0.0
                for j in range(1, m1 - 1):
                    c = 2.0 * u[i, j]
                    r = f[i, j] - ((c - u[i - 1, j] - u[i + 1, j]) * ih1 + (c - u[i, j - 1] - u[i, j + 1]) * ih2)
                    t += r * r
                s += t
            return s
        return rs2

    @njit(cache=True, parallel=parallel, fastmath={"reassoc"})
    def rs3(u, f, ih1, ih2, ih3):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        m0, m1, m2 = u.shape
        s = 0.0
        for i in prange(1, m0 - 1):
            t = 0.0
            for j in range(1, m1 - 1):
                for k in range(1, m2 - 1):
                    c = 2.0 * u[i, j, k]
                    r = f[i, j, k] - ((c - u[i - 1, j, k] - u[i + 1, j, k]) * ih1
                                      + (c - u[i, j - 1, k] - u[i, j + 1, k]) * ih2
                                      + (c - u[i, j, k - 1] - u[i, j, k + 1]) * ih3)
                    t += r * r
            s += t
        return s
    return rs3

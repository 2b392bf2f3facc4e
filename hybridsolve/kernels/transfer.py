"""Grid transfer kernels, vertex-centred n -> n/2: full-weighting restriction, (bi/tri)linear
prolongation (added into the fine grid), and the cubic interpolation of full multigrid.

Coarse point ``I`` sits on fine point ``2I``. The NumPy references are ``ref_restrict``,
``ref_prolong_add`` and ``ref_interpolate_cubic`` in :mod:`hybridsolve.kernels.reference`.

>>> import numpy as np
>>> fine = np.zeros(9)
>>> prolong_add(1)(np.linspace(0, 1, 5), fine)
>>> bool(np.allclose(fine[1:-1], np.linspace(0, 1, 9)[1:-1]))
True
>>> coarse = np.zeros(5)
>>> restrict(1)(np.ones(9), coarse)
>>> coarse.tolist()
[0.0, 1.0, 1.0, 1.0, 0.0]
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange

from .._numba import configure
from .relax import _check_dim

__all__ = ["restrict", "prolong_add", "interpolate_cubic"]


@functools.lru_cache(maxsize=None)
def restrict(dim: int, parallel: bool = True):
    """Kernel ``k(fine, coarse)``: full weighting (stencil ``[1, 2, 1]/4`` per axis) onto the interior of ``coarse``.

    ``fine`` has ``2m + 1`` points per axis, ``coarse`` ``m + 1``; coarse point ``I`` sits on fine
    point ``2I``. The coarse boundary is not touched.

    >>> import numpy as np
    >>> coarse = np.zeros(3)
    >>> restrict(1)(np.array([0.0, 1.0, 2.0, 1.0, 0.0]), coarse)
    >>> coarse.tolist()   # (1 + 2·2 + 1) / 4
    [0.0, 1.5, 0.0]
    """
    _check_dim(dim)
    configure()
    if dim == 1:
        @njit(cache=True)
        def re1(fine, coarse):
            for I in range(1, coarse.shape[0] - 1):
                i = 2 * I
                coarse[I] = 0.25 * (fine[i - 1] + fine[i + 1]) + 0.5 * fine[i]
        return re1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def re2(fine, coarse):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            M0, M1 = coarse.shape
            for I in prange(1, M0 - 1):
                i = 2 * I
                for J in range(1, M1 - 1):
                    j = 2 * J
                    rm = 0.25 * (fine[i - 1, j - 1] + fine[i - 1, j + 1]) + 0.5 * fine[i - 1, j]
                    r0 = 0.25 * (fine[i, j - 1] + fine[i, j + 1]) + 0.5 * fine[i, j]
                    rp = 0.25 * (fine[i + 1, j - 1] + fine[i + 1, j + 1]) + 0.5 * fine[i + 1, j]
                    coarse[I, J] = 0.25 * (rm + rp) + 0.5 * r0
        return re2

    @njit(cache=True, parallel=parallel)
    def re3(fine, coarse):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        M0, M1, M2 = coarse.shape
        for I in prange(1, M0 - 1):
            i = 2 * I
            for J in range(1, M1 - 1):
                j = 2 * J
                for K in range(1, M2 - 1):
                    k = 2 * K
                    acc = 0.0
                    for di in range(-1, 2):
                        wi = 0.5 if di == 0 else 0.25
                        row = 0.0
                        for dj in range(-1, 2):
                            wj = 0.5 if dj == 0 else 0.25
                            line = (0.25 * (fine[i + di, j + dj, k - 1] + fine[i + di, j + dj, k + 1])
                                    + 0.5 * fine[i + di, j + dj, k])
                            row += wj * line
                        acc += wi * row
                    coarse[I, J, K] = acc
    return re3


@functools.lru_cache(maxsize=None)
def prolong_add(dim: int, parallel: bool = True):
    """Kernel ``k(coarse, fine)``: ``fine += P coarse`` on the interior of ``fine`` ((bi/tri)linear interpolation).

    >>> import numpy as np
    >>> fine = np.ones(5)
    >>> prolong_add(1)(np.array([0.0, 2.0, 0.0]), fine)
    >>> fine.tolist()   # the fine boundary is not touched
    [1.0, 2.0, 3.0, 2.0, 1.0]
    """
    _check_dim(dim)
    configure()
    if dim == 1:
        @njit(cache=True)
        def pa1(coarse, fine):
            for i in range(1, fine.shape[0] - 1):
                I = i >> 1
                fine[i] += 0.5 * (coarse[I] + coarse[I + (i & 1)])
        return pa1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def pa2(coarse, fine):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            m0, m1 = fine.shape
            for i in prange(1, m0 - 1):
                I = i >> 1
                I2 = I + (i & 1)
                for j in range(1, m1 - 1):
                    J = j >> 1
                    J2 = J + (j & 1)
                    fine[i, j] += 0.25 * ((coarse[I, J] + coarse[I, J2]) + (coarse[I2, J] + coarse[I2, J2]))
        return pa2

    @njit(cache=True, parallel=parallel)
    def pa3(coarse, fine):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        m0, m1, m2 = fine.shape
        for i in prange(1, m0 - 1):
            I = i >> 1
            I2 = I + (i & 1)
            for j in range(1, m1 - 1):
                J = j >> 1
                J2 = J + (j & 1)
                for k in range(1, m2 - 1):
                    K = k >> 1
                    K2 = K + (k & 1)
                    fine[i, j, k] += 0.125 * (((coarse[I, J, K] + coarse[I, J, K2]) + (coarse[I, J2, K] + coarse[I, J2, K2]))
                                              + ((coarse[I2, J, K] + coarse[I2, J, K2]) + (coarse[I2, J2, K] + coarse[I2, J2, K2])))
    return pa3


@functools.lru_cache(maxsize=None)
def _cubic_axis_kernel():
    """Kernel ``k(c, out)``: ``c`` (A, m + 1, B) -> ``out`` (A, 2m + 1, B), cubic interpolation along the
    middle axis (m >= 3)."""
    configure()

    @njit(cache=True)
    def cubic_axis(c, out):
        A, m1, B = c.shape
        m = m1 - 1
        for a in range(A):
            for I in range(m + 1):
                for b in range(B):
                    out[a, 2 * I, b] = c[a, I, b]
            for b in range(B):
                out[a, 1, b] = (5.0 * c[a, 0, b] + 15.0 * c[a, 1, b] - 5.0 * c[a, 2, b] + c[a, 3, b]) / 16.0
                out[a, 2 * m - 1, b] = (c[a, m - 3, b] - 5.0 * c[a, m - 2, b] + 15.0 * c[a, m - 1, b] + 5.0 * c[a, m, b]) / 16.0
            for I in range(1, m - 1):
                for b in range(B):
                    out[a, 2 * I + 1, b] = (9.0 * (c[a, I, b] + c[a, I + 1, b]) - (c[a, I - 1, b] + c[a, I + 2, b])) / 16.0

    return cubic_axis


def interpolate_cubic(coarse: np.ndarray) -> np.ndarray:
    """Tensor-product cubic interpolation from ``m + 1`` to ``2m + 1`` points per axis (the FMG solution transfer).

    Midpoints use ``(−1, 9, 9, −1)/16``, one-sided ``(5, 15, −5, 1)/16`` next to the ends; axes
    with fewer than 4 points fall back to linear interpolation. Exact for cubic polynomials.

    >>> x = np.linspace(0, 1, 5)
    >>> bool(np.allclose(interpolate_cubic(x**3), np.linspace(0, 1, 9)**3))
    True
    """
    out = np.ascontiguousarray(coarse, dtype=np.float64)
    for d in range(out.ndim):
        shape = out.shape
        m = shape[d] - 1
        A = int(np.prod(shape[:d], dtype=np.int64))
        B = int(np.prod(shape[d + 1:], dtype=np.int64))
        new_shape = shape[:d] + (2 * m + 1,) + shape[d + 1:]
        new = np.empty(new_shape)
        if m >= 3:
            _cubic_axis_kernel()(out.reshape(A, m + 1, B), new.reshape(A, 2 * m + 1, B))
        else:
            c3, n3 = out.reshape(A, m + 1, B), new.reshape(A, 2 * m + 1, B)
            n3[:, 0::2] = c3
            n3[:, 1::2] = 0.5 * (c3[:, :-1] + c3[:, 1:])
        out = new
    return out

"""Numba kernels for the classical solvers: relaxation sweeps, residual, restriction, prolongation.

Every kernel comes from a factory (``jacobi(dim)``, ``red_black(dim)``, …) that builds and caches
an ``@njit(cache=True)`` function for one dimension. Grid-dependent constants (ω, 1/h², the
diagonal) are passed as scalars, so one compiled kernel serves every grid and every multigrid
level (few specialisations, short compile times). 2-D and 3-D kernels use ``prange`` over the
outermost axis; the 1-D kernels are serial (a 1-D line of 1000 points is far below the cost of
starting threads) and do ``count`` sweeps in one call so Python overhead is paid once.

Conventions (as in :mod:`hybridsolve.operators`): grid functions are C-contiguous float64
full-grid arrays with boundary values in place; ``A = -Δ_h`` with diagonal ``a = Σ_d 2/h_d²``.
A relaxation step writes ``u_new = c0·u + cf·f + Σ_d c_d·(u[-e_d] + u[+e_d])`` on interior points,
with ``c0 = 1 − ω``, ``cf = ω/a``, ``c_d = ω/(a h_d²)`` (:func:`coefficients`).

The NumPy references every kernel is tested against are in the ``reference`` section at the end
(:func:`ref_jacobi`, :func:`ref_red_black`, :func:`ref_restrict`, :func:`ref_prolong_add`); the
residual's reference is :func:`hybridsolve.operators.residual`.

>>> import numpy as np
>>> u = np.zeros(9); f = np.ones(9)
>>> c = coefficients((0.125,), omega=1.0)
>>> jacobi(1)(u, np.empty_like(u), f, 3, *c)
>>> np.allclose(u, ref_jacobi(np.zeros(9), f, (0.125,), 1.0, 3))
True
"""
from __future__ import annotations

import functools
import os

import numba
import numpy as np
from numba import get_num_threads, njit, prange

# Numba's default OpenMP layer spins while waiting at the end of each parallel region; on a busy
# machine (more runnable threads than cores) that made a 2-thread multigrid cycle 10× slower than
# one thread. The work-queue layer sleeps instead. An explicit NUMBA_THREADING_LAYER wins, and the
# setting has no effect if some other code already launched Numba threads in this process.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

__all__ = [
    "coefficients", "use_parallel", "jacobi", "red_black", "residual", "residual_sumsq", "restrict", "prolong_add",
    "interpolate_cubic", "diff_norms", "triad",
    "ref_jacobi", "ref_red_black", "ref_restrict", "ref_prolong_add", "ref_interpolate_cubic",
]


def coefficients(h, omega: float = 1.0) -> tuple:
    """``(c0, cf, c_1, …, c_dim)`` of the weighted relaxation update for spacings ``h``.

    >>> coefficients((0.5,), 1.0)
    (0.0, 0.125, 0.5)
    """
    a = sum(2.0 / hd**2 for hd in h)
    return (1.0 - omega, omega / a) + tuple(omega / (a * hd**2) for hd in h)


PARALLEL_MIN_POINTS = 1 << 15


def use_parallel(shape) -> bool:
    """Whether a grid of ``shape`` is big enough for the threaded kernels (below, thread start-up costs more
    than it saves, and on a busy machine a parallel region waits for its slowest thread).

    >>> use_parallel((1025, 1025)), use_parallel((33, 33))
    (True, False)
    """
    return int(np.prod(shape)) >= PARALLEL_MIN_POINTS


def _check_dim(dim):
    if dim not in (1, 2, 3):
        raise ValueError(f"dim={dim!r}: kernels exist for 1, 2 and 3 dimensions")


# --------------------------------------------------------------------------------------------
# weighted Jacobi (ping-pong between u and a scratch array v; result ends in u)
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def jacobi(dim: int, parallel: bool = True):
    """Kernel ``k(u, v, f, count, c0, cf, c_1[, c_2[, c_3]])``: ``count`` weighted Jacobi sweeps.

    ``u`` is updated in place (boundary untouched); ``v`` is scratch of the same shape (no
    allocation per sweep). Coefficients from :func:`coefficients`.
    """
    _check_dim(dim)
    if dim == 1:
        @njit(cache=True)
        def jacobi1(u, v, f, count, c0, cf, c1):
            m = u.shape[0]
            v[0] = u[0]
            v[m - 1] = u[m - 1]
            src, dst = u, v
            for _ in range(count):
                for i in range(1, m - 1):
                    dst[i] = c0 * src[i] + cf * f[i] + c1 * (src[i - 1] + src[i + 1])
                src, dst = dst, src
            if count % 2 == 1:
                for i in range(1, m - 1):
                    u[i] = v[i]
        return jacobi1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def jacobi2(u, v, f, count, c0, cf, c1, c2):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            m0, m1 = u.shape
            v[0, :] = u[0, :]
            v[m0 - 1, :] = u[m0 - 1, :]
            v[:, 0] = u[:, 0]
            v[:, m1 - 1] = u[:, m1 - 1]
            for s in range(count):
                if s % 2 == 0:
                    src, dst = u, v
                else:
                    src, dst = v, u
                for i in prange(1, m0 - 1):
                    for j in range(1, m1 - 1):
                        dst[i, j] = (c0 * src[i, j] + cf * f[i, j] + c1 * (src[i - 1, j] + src[i + 1, j])
                                     + c2 * (src[i, j - 1] + src[i, j + 1]))
            if count % 2 == 1:
                for i in prange(1, m0 - 1):
                    for j in range(1, m1 - 1):
                        u[i, j] = v[i, j]
        return jacobi2

    @njit(cache=True, parallel=parallel)
    def jacobi3(u, v, f, count, c0, cf, c1, c2, c3):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        m0, m1, m2 = u.shape
        v[0, :, :] = u[0, :, :]
        v[m0 - 1, :, :] = u[m0 - 1, :, :]
        v[:, 0, :] = u[:, 0, :]
        v[:, m1 - 1, :] = u[:, m1 - 1, :]
        v[:, :, 0] = u[:, :, 0]
        v[:, :, m2 - 1] = u[:, :, m2 - 1]
        for s in range(count):
            if s % 2 == 0:
                src, dst = u, v
            else:
                src, dst = v, u
            # blocks of 16 j-rows, each streamed through all planes i: the three planes of a block
            # that the stencil touches stay in cache (about +20 % bandwidth at 257³ over a plane loop)
            nblk = (m1 - 2 + 15) // 16
            for b in prange(nblk):
                j0 = 1 + 16 * b
                j1 = min(m1 - 1, j0 + 16)
                for i in range(1, m0 - 1):
                    for j in range(j0, j1):
                        for k in range(1, m2 - 1):
                            dst[i, j, k] = (c0 * src[i, j, k] + cf * f[i, j, k]
                                            + c1 * (src[i - 1, j, k] + src[i + 1, j, k])
                                            + c2 * (src[i, j - 1, k] + src[i, j + 1, k])
                                            + c3 * (src[i, j, k - 1] + src[i, j, k + 1]))
        if count % 2 == 1:
            for i in prange(1, m0 - 1):
                for j in range(1, m1 - 1):
                    for k in range(1, m2 - 1):
                        u[i, j, k] = v[i, j, k]
    return jacobi3


# --------------------------------------------------------------------------------------------
# red-black Gauss–Seidel / SOR, in place
# --------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _rb_row(u, f, i, p, c0, cf, c1, c2):
    # update the points j % 2 == p of row i; computing every point and storing one colour keeps the
    # loop contiguous (it vectorises) at the price of discarded arithmetic
    m1 = u.shape[1]
    for j in range(1, m1 - 1):
        new = c0 * u[i, j] + cf * f[i, j] + c1 * (u[i - 1, j] + u[i + 1, j]) + c2 * (u[i, j - 1] + u[i, j + 1])
        if (j & 1) == p:
            u[i, j] = new


@njit(cache=True, inline="always")
def _rb_plane(u, f, i, color, c0, cf, c1, c2, c3):
    # update the points (i + j + k) % 2 == color of plane i
    m1, m2 = u.shape[1], u.shape[2]
    for j in range(1, m1 - 1):
        p = (i + j + color) & 1
        for k in range(1, m2 - 1):
            new = (c0 * u[i, j, k] + cf * f[i, j, k] + c1 * (u[i - 1, j, k] + u[i + 1, j, k])
                   + c2 * (u[i, j - 1, k] + u[i, j + 1, k]) + c3 * (u[i, j, k - 1] + u[i, j, k + 1]))
            if (k & 1) == p:
                u[i, j, k] = new


def _with_threads(core, parallel):
    # the thread count is read in Python (numba.get_num_threads inside a kernel would defeat caching)
    if parallel:
        def kernel(*args):
            core(*args, get_num_threads())
    else:
        def kernel(*args):
            core(*args, 1)
    kernel.core = core
    return kernel


@functools.lru_cache(maxsize=None)
def red_black(dim: int, parallel: bool = True):
    """Kernel ``k(u, f, count, c0, cf, c_1[, …])``: ``count`` red-black Gauss–Seidel (SOR) sweeps in place.

    One sweep updates the "red" points (index sum even) and then the "black" ones; ω = 1 is
    Gauss–Seidel, other ω in (0, 2) is SOR (coefficients from :func:`coefficients`).
    In 2-D/3-D both colours go in one pass over memory: each thread owns a block of rows (planes)
    and updates red on row ``i`` then black on row ``i − 1``; the black rows at block edges, which
    need a neighbour block's red values, follow in a second, short parallel pass.
    """
    _check_dim(dim)
    if dim == 1:
        @njit(cache=True)
        def rb1(u, f, count, c0, cf, c1):
            m = u.shape[0]
            for _ in range(count):
                for color in range(2):
                    for i in range(2 - color, m - 1, 2):
                        u[i] = c0 * u[i] + cf * f[i] + c1 * (u[i - 1] + u[i + 1])
        return rb1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def rb2(u, f, count, c0, cf, c1, c2, nthreads):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            nrows = u.shape[0] - 2
            nb = min(nrows, nthreads)
            for _ in range(count):
                for b in prange(nb):
                    a = 1 + (b * nrows) // nb
                    e = 1 + ((b + 1) * nrows) // nb
                    for i in range(a, e):
                        _rb_row(u, f, i, i & 1, c0, cf, c1, c2)  # red on row i
                        if i - 1 > a:
                            _rb_row(u, f, i - 1, i & 1, c0, cf, c1, c2)  # black on row i-1: (i-1+j) odd ⇔ j ≡ i
                for b in prange(nb):
                    a = 1 + (b * nrows) // nb
                    e = 1 + ((b + 1) * nrows) // nb
                    _rb_row(u, f, a, (a + 1) & 1, c0, cf, c1, c2)
                    if e - 1 > a:
                        _rb_row(u, f, e - 1, e & 1, c0, cf, c1, c2)
        return _with_threads(rb2, parallel)

    @njit(cache=True, parallel=parallel)
    def rb3(u, f, count, c0, cf, c1, c2, c3, nthreads):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        nplanes = u.shape[0] - 2
        nb = min(nplanes, nthreads)
        for _ in range(count):
            for b in prange(nb):
                a = 1 + (b * nplanes) // nb
                e = 1 + ((b + 1) * nplanes) // nb
                for i in range(a, e):
                    _rb_plane(u, f, i, 0, c0, cf, c1, c2, c3)
                    if i - 1 > a:
                        _rb_plane(u, f, i - 1, 1, c0, cf, c1, c2, c3)
            for b in prange(nb):
                a = 1 + (b * nplanes) // nb
                e = 1 + ((b + 1) * nplanes) // nb
                _rb_plane(u, f, a, 1, c0, cf, c1, c2, c3)
                if e - 1 > a:
                    _rb_plane(u, f, e - 1, 1, c0, cf, c1, c2, c3)
    return _with_threads(rb3, parallel)


# --------------------------------------------------------------------------------------------
# residual r = f − A u (stored, interior only) and its squared norm (not stored)
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def residual(dim: int, parallel: bool = True):
    """Kernel ``k(u, f, r, ih_1[, ih_2[, ih_3]])`` writing ``r = f − A u`` on interior points (``ih_d = 1/h_d²``).

    The boundary of ``r`` is not touched (keep it zero for restriction).
    """
    _check_dim(dim)
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
    """
    _check_dim(dim)
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


# --------------------------------------------------------------------------------------------
# full-weighting restriction and (bi/tri)linear prolongation, vertex-centred n -> n/2
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def restrict(dim: int, parallel: bool = True):
    """Kernel ``k(fine, coarse)``: full weighting (stencil ``[1, 2, 1]/4`` per axis) onto the interior of ``coarse``.

    ``fine`` has ``2m + 1`` points per axis, ``coarse`` ``m + 1``; coarse point ``I`` sits on fine
    point ``2I``. The coarse boundary is not touched.
    """
    _check_dim(dim)
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
    """Kernel ``k(coarse, fine)``: ``fine += P coarse`` on the interior of ``fine`` ((bi/tri)linear interpolation)."""
    _check_dim(dim)
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


@njit(cache=True)
def _cubic_axis(c, out):
    # c: (A, m + 1, B) -> out: (A, 2m + 1, B), cubic interpolation along the middle axis (m >= 3)
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
            _cubic_axis(out.reshape(A, m + 1, B), new.reshape(A, 2 * m + 1, B))
        else:
            c3, n3 = out.reshape(A, m + 1, B), new.reshape(A, 2 * m + 1, B)
            n3[:, 0::2] = c3
            n3[:, 1::2] = 0.5 * (c3[:, :-1] + c3[:, 1:])
        out = new
    return out


# --------------------------------------------------------------------------------------------
# norms of a difference (error checks) and the STREAM triad (benchmark yardstick)
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _diff_norms_kernel(parallel: bool):
    """``k(a, b, nchunks) -> (max |a − b|, Σ (a − b)²)`` over chunks (threaded when ``parallel``)."""

    @njit(cache=True, parallel=parallel)
    def diff_norms_chunks(a, b, nchunks):
        _ = parallel  # a closure constant: without it the serial build loads the parallel one from the cache
        n = a.shape[0]
        mx = np.zeros(nchunks)
        ss = np.zeros(nchunks)
        step = (n + nchunks - 1) // nchunks
        for c in prange(nchunks):
            lo = c * step
            hi = min(n, lo + step)
            m = 0.0
            s = 0.0
            for i in range(lo, hi):
                d = a[i] - b[i]
                ad = abs(d)
                if ad > m or ad != ad:
                    m = ad if ad == ad else np.inf
                s += d * d
            mx[c] = m
            ss[c] = s
        return mx.max(), ss.sum()

    return diff_norms_chunks


def diff_norms(a: np.ndarray, b: np.ndarray) -> tuple:
    """``(max |a − b|, Σ (a − b)²)`` over all entries (NaN/inf make the max ``inf``).

    >>> diff_norms(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    (2.0, 5.0)
    """
    a = np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
    b = np.ascontiguousarray(b, dtype=np.float64).reshape(-1)
    if a.size < 65536:
        m, s = _diff_norms_kernel(False)(a, b, 1)
    else:
        m, s = _diff_norms_kernel(True)(a, b, 4 * get_num_threads())
    return float(m), float(s)


@njit(cache=True, parallel=True)
def triad(a, b, c, s):
    """STREAM triad ``a[i] = b[i] + s·c[i]`` on flat float64 arrays (24 bytes of traffic per element)."""
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


# --------------------------------------------------------------------------------------------
# reference: plain NumPy versions the kernels are tested against
# --------------------------------------------------------------------------------------------
def _shift(u, d, off):
    idx = [slice(1, -1)] * u.ndim
    idx[d] = slice(1 + off, u.shape[d] - 1 + off)
    return u[tuple(idx)]


def _update(u, f, h, omega):
    c = coefficients(h, omega)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    new = c[0] * u[inner] + c[1] * f[inner]
    for d in range(u.ndim):
        new = new + c[2 + d] * (_shift(u, d, -1) + _shift(u, d, 1))
    return new


def ref_jacobi(u, f, h, omega, count):
    """NumPy weighted Jacobi: ``count`` sweeps, returns a new array."""
    u = np.array(u, dtype=float, copy=True)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    for _ in range(count):
        u[inner] = _update(u, f, h, omega)
    return u


def ref_red_black(u, f, h, omega, count):
    """NumPy red-black Gauss–Seidel / SOR: ``count`` sweeps (red = even index sum first)."""
    u = np.array(u, dtype=float, copy=True)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    parity = sum(np.indices(u.shape)) % 2
    for _ in range(count):
        for color in (0, 1):
            new = _update(u, f, h, omega)
            mask = parity[inner] == color
            block = u[inner]
            block[mask] = new[mask]
            u[inner] = block
    return u


def ref_restrict(fine):
    """NumPy full weighting onto a coarse full-grid array with zero boundary."""
    fine = np.asarray(fine, dtype=float)
    out = fine
    for d in range(fine.ndim):
        m = (out.shape[d] - 1) // 2
        even = np.take(out, np.arange(0, 2 * m + 1, 2), axis=d)
        lo = np.take(out, np.clip(np.arange(-1, 2 * m, 2), 0, None), axis=d)
        hi = np.take(out, np.clip(np.arange(1, 2 * m + 2, 2), None, 2 * m), axis=d)
        out = 0.5 * even + 0.25 * (lo + hi)
    res = np.zeros_like(out)
    inner = tuple(slice(1, -1) for _ in range(fine.ndim))
    res[inner] = out[inner]
    return res


def ref_prolong_add(coarse, fine):
    """NumPy linear interpolation of ``coarse`` added to the interior of a copy of ``fine``."""
    out = np.asarray(coarse, dtype=float)
    for d in range(out.ndim):
        m = out.shape[d] - 1
        shape = list(out.shape)
        shape[d] = 2 * m + 1
        new = np.zeros(shape)
        ev = [slice(None)] * out.ndim
        ev[d] = slice(0, None, 2)
        new[tuple(ev)] = out
        od = [slice(None)] * out.ndim
        od[d] = slice(1, None, 2)
        new[tuple(od)] = 0.5 * (np.take(out, np.arange(m), axis=d) + np.take(out, np.arange(1, m + 1), axis=d))
        out = new
    res = np.array(fine, dtype=float, copy=True)
    inner = tuple(slice(1, -1) for _ in range(res.ndim))
    res[inner] += out[inner]
    return res


def ref_interpolate_cubic(coarse):
    """NumPy cubic interpolation m + 1 -> 2m + 1 points per axis (same stencils as :func:`interpolate_cubic`)."""
    out = np.asarray(coarse, dtype=float)
    for d in range(out.ndim):
        c = np.moveaxis(out, d, 0)
        m = c.shape[0] - 1
        new = np.empty((2 * m + 1,) + c.shape[1:])
        new[0::2] = c
        if m >= 3:
            mid = new[1::2]
            mid[1:m - 1] = (9.0 * (c[1:m - 1] + c[2:m]) - (c[0:m - 2] + c[3:m + 1])) / 16.0
            mid[0] = (5.0 * c[0] + 15.0 * c[1] - 5.0 * c[2] + c[3]) / 16.0
            mid[m - 1] = (c[m - 3] - 5.0 * c[m - 2] + 15.0 * c[m - 1] + 5.0 * c[m]) / 16.0
        else:
            new[1::2] = 0.5 * (c[:-1] + c[1:])
        out = np.moveaxis(new, 0, d)
    return out

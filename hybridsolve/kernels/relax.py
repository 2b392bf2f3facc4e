"""Relaxation kernels: weighted Jacobi and red-black Gauss–Seidel / SOR sweeps, and their coefficients.

A relaxation step writes ``u_new = c0·u + cf·f + Σ_d c_d·(u[-e_d] + u[+e_d])`` on interior points,
with ``c0 = 1 − ω``, ``cf = ω/a``, ``c_d = ω/(a h_d²)`` (:func:`coefficients`). The NumPy
references are :func:`hybridsolve.kernels.reference.ref_jacobi` and ``ref_red_black``.

>>> import numpy as np
>>> from hybridsolve.kernels.reference import ref_red_black
>>> u, f = np.zeros((9, 9)), np.ones((9, 9))
>>> red_black(2, False)(u, f, 2, *coefficients((0.125, 0.125), omega=1.0))
>>> bool(np.allclose(u, ref_red_black(np.zeros((9, 9)), f, (0.125, 0.125), 1.0, 2)))
True
"""
from __future__ import annotations

import functools

import numpy as np
from numba import get_num_threads, njit, prange

from .._numba import configure

__all__ = ["coefficients", "use_parallel", "PARALLEL_MIN_POINTS", "jacobi", "red_black"]


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

    >>> import numpy as np
    >>> u = np.zeros(5)
    >>> jacobi(1)(u, np.empty_like(u), np.ones(5), 1, *coefficients((0.25,)))
    >>> u.tolist()   # one sweep from zero: u = f/a = h²/2 on the interior
    [0.0, 0.03125, 0.03125, 0.03125, 0.0]
    """
    _check_dim(dim)
    configure()
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
def red_black(dim: int, parallel: bool = True, reverse: bool = False):
    """Kernel ``k(u, f, count, c0, cf, c_1[, …])``: ``count`` red-black Gauss–Seidel (SOR) sweeps in place.

    One sweep updates the "red" points (index sum even) and then the "black" ones; ω = 1 is
    Gauss–Seidel, other ω in (0, 2) is SOR (coefficients from :func:`coefficients`).
    ``reverse=True`` builds the adjoint sweep, black before red: ``count`` forward sweeps followed
    by ``count`` reverse ones form a symmetric smoother (symmetric Gauss–Seidel / SSOR), what a
    multigrid preconditioner for CG needs.
    In 2-D/3-D both colours go in one pass over memory: each thread owns a block of rows (planes)
    and updates the first colour on row ``i`` then the second on row ``i − 1``; the second-colour
    rows at block edges, which need a neighbour block's first-colour values, follow in a second,
    short parallel pass.

    >>> import numpy as np
    >>> u = np.zeros(5)
    >>> red_black(1)(u, np.ones(5), 1, *coefficients((0.25,)))
    >>> u.tolist()   # red points 2 first, then black 1 and 3 see the new red value
    [0.0, 0.046875, 0.03125, 0.046875, 0.0]
    >>> u = np.zeros(5)
    >>> red_black(1, reverse=True)(u, np.ones(5), 1, *coefficients((0.25,)))
    >>> u.tolist()   # black points 1 and 3 first, then red 2 sees them
    [0.0, 0.03125, 0.0625, 0.03125, 0.0]
    """
    _check_dim(dim)
    configure()
    # the colour order as a closure constant (a tuple, so that it cannot be mistaken for the bool
    # ``parallel`` among the closure values): (0, 1) red first, (1, 0) black first
    colors = (1, 0) if reverse else (0, 1)
    if dim == 1:
        @njit(cache=True)
        def rb1(u, f, count, c0, cf, c1):
            m = u.shape[0]
            for _ in range(count):
                for color in colors:
                    for i in range(2 - color, m - 1, 2):
                        u[i] = c0 * u[i] + cf * f[i] + c1 * (u[i - 1] + u[i + 1])
        return rb1
    if dim == 2:
        @njit(cache=True, parallel=parallel)
        def rb2(u, f, count, c0, cf, c1, c2, nthreads):
            _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
            c = colors[0]
            nrows = u.shape[0] - 2
            nb = min(nrows, nthreads)
            for _ in range(count):
                for b in prange(nb):
                    a = 1 + (b * nrows) // nb
                    e = 1 + ((b + 1) * nrows) // nb
                    for i in range(a, e):
                        # first colour on row i: (i + j) % 2 == c ⇔ j ≡ i + c; the second colour on
                        # row i - 1: (i - 1 + j) % 2 == 1 - c ⇔ j ≡ i + c as well
                        _rb_row(u, f, i, (i + c) & 1, c0, cf, c1, c2)
                        if i - 1 > a:
                            _rb_row(u, f, i - 1, (i + c) & 1, c0, cf, c1, c2)
                for b in prange(nb):
                    a = 1 + (b * nrows) // nb
                    e = 1 + ((b + 1) * nrows) // nb
                    _rb_row(u, f, a, (a + 1 + c) & 1, c0, cf, c1, c2)
                    if e - 1 > a:
                        _rb_row(u, f, e - 1, (e + c) & 1, c0, cf, c1, c2)
        return _with_threads(rb2, parallel)

    @njit(cache=True, parallel=parallel)
    def rb3(u, f, count, c0, cf, c1, c2, c3, nthreads):
        _ = parallel  # a closure constant: the serial and parallel builds get distinct cache entries
        first, second = colors[0], colors[1]
        nplanes = u.shape[0] - 2
        nb = min(nplanes, nthreads)
        for _ in range(count):
            for b in prange(nb):
                a = 1 + (b * nplanes) // nb
                e = 1 + ((b + 1) * nplanes) // nb
                for i in range(a, e):
                    _rb_plane(u, f, i, first, c0, cf, c1, c2, c3)
                    if i - 1 > a:
                        _rb_plane(u, f, i - 1, second, c0, cf, c1, c2, c3)
            for b in prange(nb):
                a = 1 + (b * nplanes) // nb
                e = 1 + ((b + 1) * nplanes) // nb
                _rb_plane(u, f, a, second, c0, cf, c1, c2, c3)
                if e - 1 > a:
                    _rb_plane(u, f, e - 1, second, c0, cf, c1, c2, c3)
    return _with_threads(rb3, parallel)


@functools.lru_cache(maxsize=None)
def symmetric_gauss_seidel_csr():
    """Kernel ``k(indptr, indices, data, diag, x, b, count)``: ``count`` symmetric Gauss–Seidel sweeps (a
    forward then a backward lexicographic pass) on a CSR matrix ``A x = b``, in place; serial. The sweep
    is its own adjoint, so a cycle smoothing with it before and after is symmetric (what CG needs).

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix(np.array([[2.0, -1, 0], [-1, 2, -1], [0, -1, 2]]))
    >>> x = np.zeros(3); b = np.ones(3)
    >>> symmetric_gauss_seidel_csr()(A.indptr, A.indices, A.data, A.diagonal(), x, b, 30)
    >>> np.allclose(A @ x, b)
    True
    """
    configure()

    @njit(cache=True)
    def sgs_csr(indptr, indices, data, diag, x, b, count):
        n = x.shape[0]
        for _ in range(count):
            for i in range(n):
                s = b[i]
                for k in range(indptr[i], indptr[i + 1]):
                    s -= data[k] * x[indices[k]]
                x[i] += s / diag[i]
            for i in range(n - 1, -1, -1):
                s = b[i]
                for k in range(indptr[i], indptr[i + 1]):
                    s -= data[k] * x[indices[k]]
                x[i] += s / diag[i]
    return sgs_csr

"""Plain NumPy versions of the kernels, the references they are tested against.

The residual's reference is :func:`hybridsolve.operators.residual`.

>>> import numpy as np
>>> ref_jacobi(np.zeros(5), np.ones(5), (0.25,), 1.0, 1).tolist()
[0.0, 0.03125, 0.03125, 0.03125, 0.0]
"""
from __future__ import annotations

import numpy as np

from .relax import coefficients

__all__ = ["ref_jacobi", "ref_red_black", "ref_restrict", "ref_prolong_add", "ref_interpolate_cubic"]


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
    """NumPy weighted Jacobi: ``count`` sweeps, returns a new array.

    >>> ref_jacobi(np.zeros(5), np.ones(5), (0.25,), 1.0, 2).tolist()
    [0.0, 0.046875, 0.0625, 0.046875, 0.0]
    """
    u = np.array(u, dtype=float, copy=True)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    for _ in range(count):
        u[inner] = _update(u, f, h, omega)
    return u


def ref_red_black(u, f, h, omega, count, reverse: bool = False):
    """NumPy red-black Gauss–Seidel / SOR: ``count`` sweeps (red = even index sum first; black first
    with ``reverse``).

    >>> ref_red_black(np.zeros(5), np.ones(5), (0.25,), 1.0, 1).tolist()
    [0.0, 0.046875, 0.03125, 0.046875, 0.0]
    """
    u = np.array(u, dtype=float, copy=True)
    inner = tuple(slice(1, -1) for _ in range(u.ndim))
    parity = sum(np.indices(u.shape)) % 2
    for _ in range(count):
        for color in ((1, 0) if reverse else (0, 1)):
            new = _update(u, f, h, omega)
            mask = parity[inner] == color
            block = u[inner]
            block[mask] = new[mask]
            u[inner] = block
    return u


def ref_restrict(fine):
    """NumPy full weighting onto a coarse full-grid array with zero boundary.

    >>> ref_restrict(np.array([0.0, 1.0, 2.0, 1.0, 0.0])).tolist()
    [0.0, 1.5, 0.0]
    """
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
    """NumPy linear interpolation of ``coarse`` added to the interior of a copy of ``fine``.

    >>> ref_prolong_add(np.array([0.0, 2.0, 0.0]), np.ones(5)).tolist()
    [1.0, 2.0, 3.0, 2.0, 1.0]
    """
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
    """NumPy cubic interpolation m + 1 -> 2m + 1 points per axis (same stencils as
    :func:`~hybridsolve.kernels.transfer.interpolate_cubic`).

    >>> x = np.linspace(0, 1, 5)
    >>> bool(np.allclose(ref_interpolate_cubic(x**3), np.linspace(0, 1, 9)**3))
    True
    """
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

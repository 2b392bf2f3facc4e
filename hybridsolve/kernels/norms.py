"""Norms of a difference, for error checks against a reference without NumPy temporaries.

>>> import numpy as np
>>> diff_norms(np.array([1.0, -2.0]), np.zeros(2))
(2.0, 5.0)
"""
from __future__ import annotations

import functools

import numpy as np
from numba import get_num_threads, njit, prange

from .._numba import configure

__all__ = ["diff_norms"]


@functools.lru_cache(maxsize=None)
def _diff_norms_kernel(parallel: bool):
    """``k(a, b, nchunks) -> (max |a − b|, Σ (a − b)²)`` over chunks (threaded when ``parallel``)."""
    configure()

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
            for i in range(lo, hi):  # branch-free, so it vectorises; a NaN shows up in s
                d = a[i] - b[i]
                m = max(m, abs(d))
                s += d * d
            mx[c] = m if s == s else np.inf
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

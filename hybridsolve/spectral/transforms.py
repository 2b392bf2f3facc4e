"""Transforms: DFT and type-I DST of grid functions in 1-D, 2-D, 3-D, their frequency axes, and
radial ``|k|`` shells.

Normalisations (the monitor, the cost model and the direct solver rely on them):

* ``dft(u)``: ``ĉ_k = (1/N) Σ_i u_i exp(−i 2π k·i/N)`` over **all** grid points (boundary
  included, ``N = Π (n_d + 1)``), the paper's Eq. (1) / Figure 4. Real input, so only the
  non-negative half of the last axis is returned (``scipy.fft.rfftn``).
* ``dst(v)``: type-I sine coefficients of an interior array, normalised so that
  ``v_i = Σ_k ĉ_k v_k,i`` with modes ``v_k,i = Π_d sin(i_d k_d π / n_d)``, ``k_d = 1 … n_d − 1``.
  Each mode has ``‖v_k‖∞ ≤ 1`` (exact values: :func:`hybridsolve.spectral.mode_sup_norms`), so
  ``|ĉ_k|`` is the amplitude of the sine wave, and ``idst`` inverts ``dst``. These modes are the
  eigenvectors of ``A = −Δ_h`` (``μ_k``: :func:`hybridsolve.spectral.eigenvalues`) and of the
  Jacobi iteration matrix (``λ_k``: :func:`hybridsolve.spectral.jacobi_factors`).

``WORKERS`` is the one thread-count setting of the spectral core's ``scipy.fft`` calls (read at
call time: ``hybridsolve.spectral.transforms.WORKERS = 1`` changes every transform and DST solve).

>>> import numpy as np
>>> n = 8; i = np.arange(1, n)
>>> v = 0.5 * np.sin(3 * i * np.pi / n)            # one sine mode, amplitude 0.5
>>> c = dst(v)
>>> int(np.argmax(np.abs(c))) + 1, round(float(c[2]), 12), bool(np.allclose(idst(c), v))
(3, 0.5, True)
"""
from __future__ import annotations

import os

import numpy as np
import scipy.fft

__all__ = ["dft", "dst", "idst", "dft_frequencies", "dst_frequencies", "RadialBins", "WORKERS"]

WORKERS: int = os.cpu_count() or 1
"""Threads for ``scipy.fft`` (all cores by default)."""


# -- transforms ----------------------------------------------------------------------------------
def dft(u: np.ndarray) -> np.ndarray:
    """``(1/N) rfftn(u)``: complex DFT coefficients over all points of ``u`` (the paper's convention).

    >>> import numpy as np
    >>> x = np.arange(8)
    >>> c = dft(np.cos(2 * np.pi * 2 * x / 8))
    >>> np.round(np.abs(c), 6).tolist()
    [0.0, 0.0, 0.5, 0.0, 0.0]
    """
    u = np.asarray(u, dtype=float)
    c = scipy.fft.rfftn(u, workers=WORKERS)
    c /= u.size
    return c


def dst(v: np.ndarray) -> np.ndarray:
    """Type-I sine coefficients ``ĉ`` of an interior array ``v`` with ``v = Σ_k ĉ_k v_k`` (see module doc).

    >>> import numpy as np
    >>> i, j = np.meshgrid(np.arange(1, 4), np.arange(1, 5), indexing="ij")   # interior of n = (4, 5)
    >>> c = dst(2.0 * np.sin(i * 1 * np.pi / 4) * np.sin(j * 3 * np.pi / 5))
    >>> np.argwhere(np.abs(c) > 1e-12).tolist(), round(float(c[0, 2]), 12)    # mode k = (1, 3)
    ([[0, 2]], 2.0)
    """
    v = np.asarray(v, dtype=float)
    c = scipy.fft.dstn(v, type=1, workers=WORKERS)
    c /= float(np.prod([m + 1 for m in v.shape]))
    return c


def idst(c: np.ndarray) -> np.ndarray:
    """Interior values ``Σ_k ĉ_k v_k`` from sine coefficients (inverse of :func:`dst`).

    >>> import numpy as np
    >>> idst(np.array([0.0, 1.0, 0.0])).round(12).tolist()   # v_2 on n = 4: sin(2iπ/4), i = 1, 2, 3
    [1.0, 0.0, -1.0]
    """
    c = np.asarray(c, dtype=float)
    v = scipy.fft.dstn(c, type=1, workers=WORKERS)
    v /= 2.0 ** c.ndim
    return v


def dft_frequencies(shape) -> tuple:
    """Integer frequency indices per axis of ``dft`` output for a full-grid ``shape``:
    signed ``0, 1, …, −1`` on all axes but the last, ``0 … N//2`` on the last (``rfftn``).

    >>> [f.tolist() for f in dft_frequencies((4, 5))]
    [[0, 1, -2, -1], [0, 1, 2]]
    """
    shape = tuple(int(s) for s in shape)
    out = [np.rint(np.fft.fftfreq(s) * s).astype(np.int64) for s in shape[:-1]]
    out.append(np.arange(shape[-1] // 2 + 1, dtype=np.int64))
    return tuple(out)


def dst_frequencies(interior_shape) -> tuple:
    """Mode indices ``k_d = 1 … n_d − 1`` per axis of ``dst`` output (``interior_shape = n − 1``).

    >>> [f.tolist() for f in dst_frequencies((3, 2))]
    [[1, 2, 3], [1, 2]]
    """
    return tuple(np.arange(1, int(m) + 1, dtype=np.int64) for m in interior_shape)


class RadialBins:
    """Shells of ``|k| = sqrt(Σ_d k_d²)`` (rounded to an integer) over a coefficient array.

    In 1-D every shell is one frequency and ``amplitude`` gives ``|ĉ_k|`` itself; in 2-D / 3-D a
    shell gathers all coefficients of (about) the same ``|k|`` and ``amplitude`` is their
    root-sum-square (so a single strong mode stands out of a crowded shell). In 2-D / 3-D the
    ``weights`` count each ``rfftn`` coefficient of the last axis twice where its conjugate twin is
    not stored, so shell sums are sums over the full two-sided spectrum (up to a factor 2 shared
    by numerator and denominator of every ratio taken here).

    >>> b = RadialBins((np.arange(1, 4), np.arange(1, 4)))
    >>> b.count.tolist()   # shells: (1,1) | (1,2),(2,1) | (1,3),(3,1),(2,2) | (2,3),(3,2),(3,3)
    [0, 1, 2, 3, 3]
    """

    def __init__(self, freqs: tuple, one_sided_last: int | None = None):
        dim = len(freqs)
        self.dim = dim
        self.shape = tuple(len(f) for f in freqs)
        if dim == 1:
            k = np.abs(freqs[0])
            self.identity = bool(np.array_equal(k, np.arange(len(k))))
            self.index = k.astype(np.intp)
        else:
            self.identity = False
            r2 = np.zeros(self.shape)
            for d, f in enumerate(freqs):
                shp = [1] * dim
                shp[d] = len(f)
                r2 = r2 + (f.astype(float) ** 2).reshape(shp)
            self.index = np.rint(np.sqrt(r2)).astype(np.intp).ravel()
        w = np.ones(self.shape[-1])
        if one_sided_last is not None and dim > 1:  # rfftn: interior frequencies of the last axis stand for ±k
            klast = np.abs(freqs[-1])
            w[(klast > 0) & (2 * klast != one_sided_last)] = 2.0
        self.weights = np.broadcast_to(w, self.shape).ravel().copy() if dim > 1 else w
        self.nbins = int(self.index.max()) + 1
        self.count = np.bincount(self.index, minlength=self.nbins)
        self.weight_sum = np.bincount(self.index, weights=self.weights, minlength=self.nbins)

    def sums(self, abs2: np.ndarray) -> np.ndarray:
        """Weighted shell sums of ``|ĉ|²`` (an array of the coefficient shape)."""
        if self.identity:
            return self.weights * abs2
        return np.bincount(self.index, weights=self.weights * abs2.ravel(), minlength=self.nbins)

    def amplitude(self, coeffs: np.ndarray) -> np.ndarray:
        """Root-sum-square amplitude per shell (``|ĉ_k|`` in 1-D); 0 for empty shells."""
        return np.sqrt(self.sums(np.abs(coeffs) ** 2))

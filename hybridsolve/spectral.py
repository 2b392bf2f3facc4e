"""Spectral helpers: DFT / DST coefficients in 1-D, 2-D, 3-D, radial |k| binning, peak detection,
Jacobi amplification factors and the spectral cost model.

Normalisations (the monitor and the switch policies rely on them):

* ``dft(u)``: ``ĉ_k = (1/N) Σ_i u_i exp(−i 2π k·i/N)`` over **all** grid points (boundary
  included, ``N = Π (n_d + 1)``), the paper's Eq. (1) / Figure 4. Real input, so only the
  non-negative half of the last axis is returned (``scipy.fft.rfftn``).
* ``dst(v)``: type-I sine coefficients of an interior array, normalised so that
  ``v_i = Σ_k ĉ_k v_k,i`` with modes ``v_k,i = Π_d sin(i_d k_d π / n_d)``, ``k_d = 1 … n_d − 1``.
  Each mode has ``‖v_k‖∞ ≤ 1`` (exactly 1 when some ``i k/n`` is a half-integer m + ½, see
  :func:`mode_sup_norms`), so ``|ĉ_k|`` is the amplitude of the sine wave, and ``idst`` inverts ``dst``.
  These modes are the eigenvectors of ``A = −Δ_h`` (``μ_k`` from
  :func:`hybridsolve.solvers.direct.eigenvalues`) and of the Jacobi iteration matrix
  (``λ_k = 1 − ω μ_k / a``, :func:`jacobi_amplification`).

>>> import numpy as np
>>> n = 8; i = np.arange(1, n)
>>> v = 0.5 * np.sin(3 * i * np.pi / n)            # one sine mode, amplitude 0.5
>>> c = dst(v)
>>> int(np.argmax(np.abs(c))) + 1, round(float(c[2]), 12), bool(np.allclose(idst(c), v))
(3, 0.5, True)
"""
from __future__ import annotations

import math
import os

import numpy as np
import scipy.fft

__all__ = [
    "dft", "dst", "idst", "dft_frequencies", "dst_frequencies", "RadialBins", "find_peaks",
    "jacobi_amplification", "mode_sup_norms", "jacobi_error_bound", "sweeps_to_reach",
]

_WORKERS = os.cpu_count() or 1


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
    c = scipy.fft.rfftn(u, workers=_WORKERS)
    c /= u.size
    return c


def dst(v: np.ndarray) -> np.ndarray:
    """Type-I sine coefficients ``ĉ`` of an interior array ``v`` with ``v = Σ_k ĉ_k v_k`` (see module doc)."""
    v = np.asarray(v, dtype=float)
    c = scipy.fft.dstn(v, type=1, workers=_WORKERS)
    c /= float(np.prod([m + 1 for m in v.shape]))
    return c


def idst(c: np.ndarray) -> np.ndarray:
    """Interior values ``Σ_k ĉ_k v_k`` from sine coefficients (inverse of :func:`dst`)."""
    c = np.asarray(c, dtype=float)
    v = scipy.fft.dstn(c, type=1, workers=_WORKERS)
    v /= 2.0 ** c.ndim
    return v


def dft_frequencies(shape) -> tuple:
    """Integer frequency indices per axis of ``dft`` output for a full-grid ``shape``:
    signed ``0, 1, …, −1`` on all axes but the last, ``0 … N//2`` on the last (``rfftn``)."""
    shape = tuple(int(s) for s in shape)
    out = [np.rint(np.fft.fftfreq(s) * s).astype(np.int64) for s in shape[:-1]]
    out.append(np.arange(shape[-1] // 2 + 1, dtype=np.int64))
    return tuple(out)


def dst_frequencies(interior_shape) -> tuple:
    """Mode indices ``k_d = 1 … n_d − 1`` per axis of ``dst`` output."""
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


# -- peaks ---------------------------------------------------------------------------------------
def find_peaks(amplitude, *, threshold: float = 0.02, zero_tol: float = 1e-9, max_peaks: int | None = None) -> list:
    """Indices of local maxima of a 1-D amplitude profile (e.g. ``|û_k|``).

    A peak is larger than its neighbours and at least ``threshold · max`` (which keeps the
    rounding-level wiggles of the tail out). A neighbour below ``zero_tol · max`` is looked past by
    one index, so the exact zeros between the modes of a symmetric function (every other sine
    coefficient of an odd function) do not make every other mode a "peak", while a mode isolated
    by longer runs of zeros (a sum of a few sine modes) is one. ``max_peaks`` keeps the largest
    ones. Returned in increasing frequency.

    >>> find_peaks([0.0, 1.0, 0.2, 0.0, 0.5, 0.1, 1e-4, 2e-4, 0.0])
    [1, 4]
    >>> find_peaks([0.0, 1.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.1, 0.0])   # parity gap vs isolated mode
    [1, 7]
    """
    a = np.asarray(amplitude, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"amplitude must be a non-empty 1-D profile; got shape {a.shape}")
    a = np.where(np.isfinite(a), a, 0.0)
    top = float(a.max())
    if top <= 0:
        return []
    tiny = zero_tol * top
    pad = np.concatenate(([-np.inf, -np.inf], a, [-np.inf, -np.inf]))
    l1, l2, r1, r2 = pad[1:-3], pad[:-4], pad[3:-1], pad[4:]
    left = np.where(l1 > tiny, l1, np.maximum(l1, l2))
    right = np.where(r1 > tiny, r1, np.maximum(r1, r2))
    ok = (a > left) & (a >= right) & (a >= threshold * top) & (a > tiny)
    peaks = np.flatnonzero(ok)
    if max_peaks is not None and len(peaks) > max_peaks:
        keep = np.argsort(a[peaks])[::-1][:max_peaks]
        peaks = np.sort(peaks[keep])
    return [int(k) for k in peaks]


# -- Jacobi --------------------------------------------------------------------------------------
def jacobi_amplification(grid, omega: float = 1.0) -> np.ndarray:
    """``λ_k = 1 − ω μ_k / a`` (``a = Σ_d 2/h_d²``): the factor weighted Jacobi multiplies sine mode
    ``k`` of the error by per sweep, as an array of ``grid.interior_shape``.

    >>> from hybridsolve import Grid
    >>> lam = jacobi_amplification(Grid([(-1, 1)], 8))
    >>> bool(np.allclose(lam, np.cos(np.arange(1, 8) * np.pi / 8)))   # the paper's Eq. (18)
    True
    """
    from .solvers.direct import eigenvalues

    a = sum(2.0 / h**2 for h in grid.h)
    return 1.0 - float(omega) * eigenvalues(grid) / a


def mode_sup_norms(grid) -> np.ndarray:
    """``‖v_k‖∞ = Π_d max_i |sin(i k_d π / n_d)|`` exactly (≤ 1), as an array of ``interior_shape``.

    >>> from hybridsolve import Grid
    >>> s = mode_sup_norms(Grid([(0, 1)], 4))
    >>> np.round(s, 4).tolist()   # k = 1, 2, 3 on n = 4: max |sin(i k π/4)| over i = 1..3
    [1.0, 1.0, 1.0]
    """
    out = np.ones(grid.interior_shape)
    for d, nd in enumerate(grid.n):
        # max_i |sin(π i k / n)| depends on the residues i·k mod 2n; the closest to n/2 wins
        k = np.arange(1, nd)
        g = np.gcd(k, nd)
        step = g.astype(float)  # the residues ik mod n run over the multiples of gcd(k, n)
        # distance of the nearest multiple of g to n/2
        dist = np.abs((nd / 2.0) - step * np.rint((nd / 2.0) / step))
        sd = np.abs(np.cos(np.pi * dist / nd))
        shp = [1] * grid.dim
        shp[d] = nd - 1
        out = out * sd.reshape(shp)
    return out


def jacobi_error_bound(e_hat: np.ndarray, lam: np.ndarray, sweeps, sup_norms: np.ndarray | None = None) -> np.ndarray:
    """The spectral cost model ``Σ_k |λ_k|^N |ê_k| ‖v_k‖∞``: an upper bound on ‖e‖∞ after ``N`` sweeps
    (``sweeps`` may be an array of N). ``sup_norms=None`` uses the bound ``‖v_k‖∞ ≤ 1``.

    >>> lam = np.array([0.5, 0.9]); e = np.array([1.0, 0.1])
    >>> jacobi_error_bound(e, lam, [0, 1]).round(3).tolist()
    [1.1, 0.59]
    """
    a = np.abs(np.asarray(e_hat, dtype=float)).ravel()
    if sup_norms is not None:
        a = a * np.asarray(sup_norms, dtype=float).ravel()
    loglam = np.log(np.maximum(np.abs(np.asarray(lam, dtype=float)).ravel(), 1e-300))
    keep = a > 0
    a, loglam = a[keep], loglam[keep]
    N = np.atleast_1d(np.asarray(sweeps, dtype=float))
    out = np.array([float(np.sum(a * np.exp(loglam * x))) for x in N])
    return out if np.ndim(sweeps) else out[0]


def sweeps_to_reach(e_hat: np.ndarray, lam: np.ndarray, tol: float, *, sup_norms=None, max_sweeps: int = 10**9) -> int | None:
    """The smallest ``N`` with ``jacobi_error_bound(e_hat, lam, N) ≤ tol`` (None if beyond ``max_sweeps``).

    >>> sweeps_to_reach(np.array([1.0]), np.array([0.5]), 0.1)   # 0.5^N ≤ 0.1
    4
    """
    if not tol > 0:
        raise ValueError(f"tol must be > 0; got {tol!r}")

    def f(N):
        return jacobi_error_bound(e_hat, lam, N, sup_norms)

    if f(0) <= tol:
        return 0
    hi = 1
    while f(hi) > tol:
        hi *= 2
        if hi > max_sweeps:
            return None
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if f(mid) <= tol:
            hi = mid
        else:
            lo = mid
    return int(hi)

"""Peaks of an amplitude spectrum: the frequencies Δ_F is measured at (``peaks="auto"`` of the monitor)."""
from __future__ import annotations

import numpy as np

__all__ = ["spectral_peaks"]


def spectral_peaks(amplitude, *, threshold: float = 0.02, zero_tol: float = 1e-9, max_peaks: int | None = None) -> list:
    """Indices of local maxima of a 1-D amplitude profile (e.g. ``|û_k|``).

    A peak is larger than its neighbours and at least ``threshold · max`` (which keeps the
    rounding-level wiggles of the tail out). A neighbour below ``zero_tol · max`` is looked past by
    one index, so the exact zeros between the modes of a symmetric function (every other sine
    coefficient of an odd function) do not make every other mode a "peak", while a mode isolated
    by longer runs of zeros (a sum of a few sine modes) is one. ``max_peaks`` keeps the largest
    ones. Returned in increasing frequency. (The projection probe's simpler rule is
    :func:`hybridsolve.probes.projection_peaks`.)

    >>> spectral_peaks([0.0, 1.0, 0.2, 0.0, 0.5, 0.1, 1e-4, 2e-4, 0.0])
    [1, 4]
    >>> spectral_peaks([0.0, 1.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.1, 0.0])   # parity gap vs isolated mode
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

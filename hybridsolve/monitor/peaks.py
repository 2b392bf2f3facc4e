"""Which frequencies the monitor tracks Δ_F at: the peaks of the reference spectrum, or the user's."""
from __future__ import annotations

import numpy as np

from ..spectral import spectral_peaks

__all__ = ["select_peaks"]


def select_peaks(peaks, basis, *, threshold: float = 0.02, max_peaks: int | None = None) -> list[int]:
    """``"auto"`` (local maxima of the reference amplitude per shell above ``threshold`` × max, see
    :func:`hybridsolve.spectral.spectral_peaks`), a list of integer frequencies (checked: in range,
    the reference has energy there), or None / ``[]``. Sorted, without repeats.

    >>> import hybridsolve as hs
    >>> from hybridsolve.monitor.basis import SpectralBasis
    >>> p = hs.problems.paper_1d(n=1000)
    >>> b = SpectralBasis(p.grid, "dft", p.u_exact)
    >>> select_peaks("auto", b), select_peaks([8, 1, 8], b)
    ([1, 8], [1, 8])
    >>> select_peaks([900], b)
    Traceback (most recent call last):
    ...
    ValueError: peak k=900 is out of range for basis='dft' on n=(1000,): frequencies (|k| shells) run from 0 to 500
    """
    if isinstance(peaks, str):
        if peaks != "auto":
            raise ValueError(f"peaks={peaks!r} is not known; valid: 'auto', a list of integer frequencies, or None")
        return spectral_peaks(basis.amplitude, threshold=threshold, max_peaks=max_peaks)
    if peaks is None:
        return []
    top = float(basis.amplitude.max())
    out: list[int] = []
    for k in (peaks if isinstance(peaks, (list, tuple)) else np.atleast_1d(peaks).tolist()):
        if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)) or not float(k).is_integer():
            raise ValueError(f"peaks must be integer frequencies; got {k!r}")
        k = int(k)
        if not (basis.k_min <= k <= basis.k_max) or basis.bins.count[k] == 0:
            raise ValueError(f"peak k={k} is out of range for basis={basis.name!r} on n={basis.grid.n}: frequencies "
                             f"(|k| shells) run from {basis.k_min} to {basis.k_max}")
        if not basis.amplitude[k] > 1e-14 * max(top, 1e-300):
            raise ValueError(f"peak k={k}: the reference has |û_k| = 0 there, so Δ_F(k) = |ĥ_k − û_k|/|û_k| "
                             "is undefined; pick frequencies where the reference has energy")
        if k not in out:
            out.append(k)
    return sorted(out)

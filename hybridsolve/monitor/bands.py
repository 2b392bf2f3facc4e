"""The low / high frequency bands: one cutoff k_c, low = shells |k| < k_c, high = |k| ≥ k_c."""
from __future__ import annotations

import math

__all__ = ["band_cutoff"]


def band_cutoff(bands, basis) -> int:
    """The cutoff ``k_c``: ``round(sqrt(k_max))`` by default, else the given number (or a one-element
    list), checked to lie in ``(k_min, k_max]``.

    >>> import hybridsolve as hs
    >>> from hybridsolve.monitor.basis import SpectralBasis
    >>> p = hs.problems.paper_1d(n=1000)
    >>> b = SpectralBasis(p.grid, "dft", p.u_exact)
    >>> band_cutoff(None, b), band_cutoff([10.5], b)
    (22, 11)
    """
    if bands is None:
        return max(basis.k_min + 1, int(round(math.sqrt(basis.k_max))))
    if isinstance(bands, (list, tuple)):
        if len(bands) != 1:
            raise ValueError(f"bands takes one cutoff k_c (low: |k| < k_c, high: |k| ≥ k_c); got {bands!r}")
        bands = bands[0]
    try:
        kc = float(bands)
    except (TypeError, ValueError):
        raise ValueError(f"bands cutoff k_c must be a number; got {bands!r}") from None
    if not (basis.k_min < kc <= basis.k_max):
        raise ValueError(f"bands cutoff k_c={bands!r} must lie in ({basis.k_min}, {basis.k_max}] "
                         f"for basis={basis.name!r} on n={basis.grid.n}")
    return int(math.ceil(kc))

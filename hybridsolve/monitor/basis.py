"""The basis the monitor measures in: the DFT over all n+1 points per axis (the paper's Figure 4)
or the type-I sine basis of the interior (the eigenbasis of A and of Jacobi), with the radial
shells ``round(|k|)`` that gather coefficients in 2-D / 3-D, and the reference's spectrum in it."""
from __future__ import annotations

import numpy as np

from ..spectral import RadialBins, dft, dft_frequencies, dst, dst_frequencies

__all__ = ["BASES", "SpectralBasis"]

BASES = ("dft", "dst")


class SpectralBasis:
    """Coefficients and shells of one basis on ``grid``, and the reference spectrum ``ref`` in it.

    ``shell_power(e)``: the shell sums of ``|ê|²`` of a full-grid error ``e`` (``e_hat`` given:
    interior sine coefficients, used as they are in the ``dst`` basis). ``amplitude``: the
    reference's root-sum-square per shell; ``k_min``/``k_max``: the occupied shells.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=1000)
    >>> b = SpectralBasis(p.grid, "dft", p.u_exact)
    >>> b.k_min, b.k_max, round(float(b.amplitude.max()), 3)
    (0, 500, 0.242)
    """

    def __init__(self, grid, name: str, ref: np.ndarray):
        if not (isinstance(name, str) and name in BASES):
            raise ValueError(f"basis={name!r} is not known; valid: 'dft' (DFT over all n+1 points, "
                             "the paper's Figure 4) or 'dst' (the sine eigenbasis of A and of Jacobi)")
        self.grid, self.name = grid, name
        if name == "dft":
            self.bins = RadialBins(dft_frequencies(grid.shape), one_sided_last=grid.shape[-1])
        else:
            self.bins = RadialBins(dst_frequencies(grid.interior_shape))
        self.ref_hat = self.coefficients(ref)
        self.ref_shell = self.bins.sums(np.abs(self.ref_hat) ** 2)
        self.amplitude = np.sqrt(self.ref_shell)
        self.ref_norm2 = float(self.ref_shell.sum())
        occupied = np.flatnonzero(self.bins.count > 0)
        self.k_min, self.k_max = int(occupied[0]), int(occupied[-1])

    def coefficients(self, v: np.ndarray) -> np.ndarray:
        """Coefficients of a full-grid array in this basis."""
        return dft(v) if self.name == "dft" else dst(v[self.grid.interior])

    def shell_power(self, e: np.ndarray, e_hat: np.ndarray | None = None) -> np.ndarray:
        """Shell sums of ``|ê|²`` for the full-grid error ``e`` (``e_hat``: its sine coefficients, if known)."""
        d_hat = e_hat if (e_hat is not None and self.name == "dst") else self.coefficients(e)
        return self.bins.sums(d_hat.real ** 2 + d_hat.imag ** 2 if np.iscomplexobj(d_hat) else d_hat * d_hat)

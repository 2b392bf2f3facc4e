"""The gallery of built-in Poisson problems, each with its analytic solution.

``paper_1d`` is Section 5 of Xu et al. (2020); the manufactured problems have known solutions
in 1-D, 2-D and 3-D, some with non-zero boundary values, some mixing low and high frequencies.
:func:`get` builds a problem by name (what case files use).

>>> from hybridsolve import problems
>>> p = problems.paper_1d(n=1000)
>>> p.grid.h, round(float(abs(p.u_exact).max()), 4) > 0
((0.002,), True)
>>> sorted(problems.names())[:3]
['multiscale_1d', 'multiscale_2d', 'multiscale_3d']
"""
from __future__ import annotations

import numpy as np

from .problem import PoissonProblem

__all__ = ["paper_1d", "sine", "smooth_1d", "smooth_2d", "smooth_3d", "multiscale_1d", "multiscale_2d", "multiscale_3d", "get", "names"]

PI = np.pi


def _g0(x):
    return np.sin(x) + np.sin(4 * x) / 4 - np.sin(8 * x) / 8 + np.sin(24 * x) / 36


def paper_1d(n: int = 1000) -> PoissonProblem:
    """Xu et al. (2020), Sec. 5: ``-u'' = g`` on (−1, 1), ``u(±1) = 0``,
    ``g = sin x + 4 sin 4x − 8 sin 8x + 16 sin 24x``, ``u_ref = g0 + c1 x + c0``.

    >>> p = paper_1d(n=1000)
    >>> p.grid.shape
    (1001,)
    """
    c1 = (_g0(-1.0) - _g0(1.0)) / 2
    c0 = -(_g0(-1.0) + _g0(1.0)) / 2
    return PoissonProblem(
        domain=[(-1.0, 1.0)], n=n,
        source=lambda x: np.sin(x) + 4 * np.sin(4 * x) - 8 * np.sin(8 * x) + 16 * np.sin(24 * x),
        boundary=0.0, exact=lambda x: _g0(x) + c1 * x + c0, name="paper_1d",
    )


def sine(dim: int = 2, n=64, k=1) -> PoissonProblem:
    """``u = Π_d sin(k_d π x_d)`` on the unit box (zero boundary): one Jacobi eigenmode.

    >>> sine(2, 16, (1, 2)).dim
    2
    """
    ks = (k,) * dim if np.ndim(k) == 0 else tuple(k)
    lam = PI**2 * sum(kd**2 for kd in ks)

    def u(*x):
        out = 1.0
        for xd, kd in zip(x, ks):
            out = out * np.sin(kd * PI * xd)
        return out

    return PoissonProblem(domain=[(0.0, 1.0)] * dim, n=n, source=lambda *x: lam * u(*x), boundary=0.0,
                          exact=u, name=f"sine_{dim}d")


def smooth_1d(n: int = 256) -> PoissonProblem:
    """``u = e^x + x³`` on (0, 1): non-zero boundary values at both ends."""
    return PoissonProblem(domain=[(0.0, 1.0)], n=n, source=lambda x: -np.exp(x) - 6 * x,
                          boundary=lambda x: np.exp(x) + x**3, exact=lambda x: np.exp(x) + x**3, name="smooth_1d")


def smooth_2d(n=128) -> PoissonProblem:
    """``u = e^x cos 2y + x² y`` on (0,1)²: non-zero boundary values, ``-Δu = 3 e^x cos 2y − 2y``."""
    exact = lambda x, y: np.exp(x) * np.cos(2 * y) + x**2 * y  # noqa: E731
    return PoissonProblem(domain=[(0.0, 1.0), (0.0, 1.0)], n=n,
                          source=lambda x, y: 3 * np.exp(x) * np.cos(2 * y) - 2 * y,
                          boundary=exact, exact=exact, name="smooth_2d")


def smooth_3d(n=32) -> PoissonProblem:
    """``u = e^x sin y cosh z + x y²`` on (0,1)³: non-zero boundary values, ``-Δu = −e^x sin y cosh z − 2x``."""
    exact = lambda x, y, z: np.exp(x) * np.sin(y) * np.cosh(z) + x * y**2  # noqa: E731
    return PoissonProblem(domain=[(0.0, 1.0)] * 3, n=n,
                          source=lambda x, y, z: -np.exp(x) * np.sin(y) * np.cosh(z) - 2 * x,
                          boundary=exact, exact=exact, name="smooth_3d")


# (amplitude, kx, ky[, kz]) terms of the multiscale problems: low plus high frequencies,
# like the paper's source, so both the DNN's and Jacobi's slow modes are present.
_MS1 = ((1.0, 1), (0.25, 4), (1 / 16, 12))
_MS2 = ((1.0, 1, 1), (0.25, 4, 3), (1 / 16, 12, 10))
_MS3 = ((1.0, 1, 1, 1), (0.25, 4, 3, 2), (1 / 16, 8, 6, 10))


def _multiscale(terms, dim, n, name):
    def u(*x):
        out = 0.0
        for a, *ks in terms:
            term = a
            for xd, kd in zip(x, ks):
                term = term * np.sin(kd * PI * xd)
            out = out + term
        return out

    def f(*x):
        out = 0.0
        for a, *ks in terms:
            term = a * PI**2 * sum(kd**2 for kd in ks)
            for xd, kd in zip(x, ks):
                term = term * np.sin(kd * PI * xd)
            out = out + term
        return out

    return PoissonProblem(domain=[(0.0, 1.0)] * dim, n=n, source=f, boundary=0.0, exact=u, name=name)


def multiscale_1d(n: int = 4096) -> PoissonProblem:
    """``u = sin πx + ¼ sin 4πx + 1/16 sin 12πx`` on (0, 1), zero boundary. Unlike paper_1d (whose
    odd solution leaves the slowest Jacobi mode empty), it has a large component in the slowest mode
    sin πx, which Jacobi alone needs ~n² sweeps to remove: the hybrid showcase."""
    return _multiscale(_MS1, 1, n, "multiscale_1d")


def multiscale_2d(n=128) -> PoissonProblem:
    """Sum of sine modes (1,1), (4,3), (12,10) with amplitudes 1, 1/4, 1/16 on (0,1)², zero boundary."""
    return _multiscale(_MS2, 2, n, "multiscale_2d")


def multiscale_3d(n=32) -> PoissonProblem:
    """Sum of sine modes (1,1,1), (4,3,2), (8,6,10) with amplitudes 1, 1/4, 1/16 on (0,1)³, zero boundary."""
    return _multiscale(_MS3, 3, n, "multiscale_3d")


_GALLERY = {
    "paper_1d": paper_1d,
    "smooth_1d": smooth_1d,
    "smooth_2d": smooth_2d,
    "smooth_3d": smooth_3d,
    "multiscale_1d": multiscale_1d,
    "multiscale_2d": multiscale_2d,
    "multiscale_3d": multiscale_3d,
    "sine": sine,
}

MANUFACTURED = ("smooth_1d", "smooth_2d", "smooth_3d", "multiscale_1d", "multiscale_2d", "multiscale_3d", "paper_1d")


def names() -> list[str]:
    return list(_GALLERY)


def get(name: str, **kwargs) -> PoissonProblem:
    """Build a gallery problem by name, e.g. ``get("smooth_2d", n=64)``."""
    try:
        factory = _GALLERY[name]
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; valid: {', '.join(_GALLERY)}") from None
    return factory(**kwargs)

"""Jacobi in the sine basis: per-mode factors ``λ_k``, mode sup norms ``‖v_k‖∞``, the error bound,
the predicted sweep count, and exact Jacobi trajectories.

Weighted Jacobi (ω) multiplies sine mode ``k`` of the error by ``λ_k = 1 − ω μ_k / a`` per sweep
(``a = Σ_d 2/h_d²``, the diagonal of ``A``): the modes are its eigenvectors. So after ``N`` sweeps
from an error with coefficients ``ê``, ``‖e_N‖∞ ≤ S(N) = Σ_k |λ_k|^N |ê_k| ‖v_k‖∞`` (the spectral
cost model of DESIGN.md), and ``e_N = Σ_k λ_k^N ê_k v_k`` exactly.

>>> import numpy as np
>>> from hybridsolve import Grid
>>> g = Grid([(-1, 1)], 64)
>>> lam = jacobi_factors(g)
>>> e_hat = np.zeros(63); e_hat[0] = 1.0                  # the slowest mode, amplitude 1
>>> N = predict_sweeps(np.abs(e_hat) * mode_sup_norms(g), lam, 1e-3)
>>> N == int(np.ceil(np.log(1e-3) / np.log(np.cos(np.pi / 64))))
True
"""
from __future__ import annotations

import math

import numpy as np

from ..operators import diagonal
from .error import error_spectrum
from .laplace import eigenvalues
from .transforms import idst

__all__ = ["jacobi_factors", "gauss_seidel_factors", "sweep_factors", "mode_sup_norms", "jacobi_error_bound",
           "predict_sweeps", "sweeps_to_reach", "jacobi_error_curve", "exact_jacobi_sweeps"]


# -- per-mode factors ------------------------------------------------------------------------------
def jacobi_factors(grid, omega: float = 1.0) -> np.ndarray:
    """``λ_k = 1 − ω μ_k / a`` (``a = Σ_d 2/h_d²``): the factor weighted Jacobi multiplies sine mode
    ``k`` of the error by per sweep, as an array of ``interior_shape`` (mode ``k`` at index ``k − 1``).
    ``grid`` may also be a problem (its ``.grid`` is used).

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> lam = jacobi_factors(Grid([(-1, 1)], 8))
    >>> bool(np.allclose(lam, np.cos(np.arange(1, 8) * np.pi / 8)))   # the paper's Eq. (18)
    True
    """
    grid = getattr(grid, "grid", grid)
    return 1.0 - float(omega) * eigenvalues(grid) / diagonal(grid)


def gauss_seidel_factors(grid) -> np.ndarray:
    """A per-mode model of one (lexicographic or red–black) Gauss–Seidel sweep, not exact (the sine
    modes are not its eigenvectors): ``ρ_k = λ̃_k²`` with ``λ̃_k`` the ω = 1 Jacobi factor of the mode
    folded into the low half (``k_d → min(k_d, n_d − k_d)``). In 1-D the Gauss–Seidel eigenvalues are
    exactly ``cos²(kπ/n)``, ``k < n/2``; folding treats high modes as slow as their low partners, which
    is pessimistic (Gauss–Seidel smooths them) but never optimistic for the slow modes.

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> rho = gauss_seidel_factors(Grid([(0, 1)], 8))
    >>> bool(np.allclose(rho[:4], np.cos(np.arange(1, 5) * np.pi / 8) ** 2)), bool(np.allclose(rho, rho[::-1]))
    (True, True)
    """
    grid = getattr(grid, "grid", grid)
    lam = np.zeros(grid.interior_shape)
    for d, nd in enumerate(grid.n):
        k = np.arange(1, nd)
        kf = np.minimum(k, nd - k)
        shape = [1] * grid.dim
        shape[d] = nd - 1
        lam = lam + (np.cos(kf * np.pi / nd) / grid.dim).reshape(shape)
    return lam**2


def sweep_factors(grid, classical: str = "jacobi", omega: float = 1.0) -> np.ndarray:
    """Per-mode contraction ``ρ_k`` of one sweep of ``classical``: :func:`jacobi_factors` (exact) or
    :func:`gauss_seidel_factors` (a model). Multigrid is not per mode (the cost model measures one
    contraction per cycle).

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> g = Grid([(0, 1)], 16)
    >>> bool(np.array_equal(sweep_factors(g, "jacobi", 0.5), jacobi_factors(g, 0.5)))
    True
    >>> sweep_factors(g, "multigrid")
    Traceback (most recent call last):
    ...
    ValueError: no per-mode sweep factors for classical='multigrid'; valid: 'jacobi', 'gauss_seidel'
    """
    if classical == "jacobi":
        return jacobi_factors(grid, omega)
    if classical == "gauss_seidel":
        return gauss_seidel_factors(grid)
    raise ValueError(f"no per-mode sweep factors for classical={classical!r}; valid: 'jacobi', 'gauss_seidel'")


def _sup_1d(nd: int) -> np.ndarray:
    """``max_{i=1…n−1} |sin(i k π / n)|`` for ``k = 1 … n−1``: the residues ``i k mod n`` are the multiples of
    ``g = gcd(k, n)``, so with ``m = n / g`` the maximum is ``max_j |sin(j π / m)|``: 1 if ``m`` is even,
    else ``cos(π / 2m)``."""
    k = np.arange(1, nd)
    m = nd // np.gcd(k, nd)
    return np.where(m % 2 == 0, 1.0, np.cos(np.pi / (2.0 * m)))


def mode_sup_norms(grid) -> np.ndarray:
    """``‖v_k‖∞ = Π_d max_i |sin(i k_d π / n_d)|`` exactly (≤ 1) on the grid points, as an array of
    ``interior_shape``.

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> np.round(mode_sup_norms(Grid([(0, 1)], 6)), 4).tolist()   # k = 2, 4: m = 3, cos(π/6)
    [1.0, 0.866, 1.0, 0.866, 1.0]
    """
    grid = getattr(grid, "grid", grid)
    out = np.ones(grid.interior_shape)
    for d, nd in enumerate(grid.n):
        shape = [1] * grid.dim
        shape[d] = nd - 1
        out = out * _sup_1d(nd).reshape(shape)
    return out


# -- the bound and the predicted sweep count -------------------------------------------------------
def _log_factors(factors: np.ndarray) -> np.ndarray:
    """``log |ρ|`` with ``ρ = 0`` clamped to ``log 1e-300`` (so ``0⁰ = 1`` and ``0^N ≈ 0``, no NaN)."""
    return np.log(np.maximum(np.abs(factors), 1e-300))


def _bound(w: np.ndarray, logr: np.ndarray, N: float) -> float:
    """``Σ_k w_k |ρ_k|^N`` (``logr = log |ρ|``): the one evaluation of the bound."""
    return float(np.sum(w * np.exp(N * logr)))


def jacobi_error_bound(e_hat: np.ndarray, lam: np.ndarray, sweeps, sup_norms: np.ndarray | None = None):
    """The spectral cost model ``S(N) = Σ_k |λ_k|^N |ê_k| ‖v_k‖∞``: an upper bound on ``‖e‖∞`` after ``N``
    sweeps (``sweeps`` may be an array of N). ``sup_norms=None`` uses the bound ``‖v_k‖∞ ≤ 1``.

    >>> import numpy as np
    >>> lam = np.array([0.5, 0.9]); e = np.array([1.0, 0.1])
    >>> jacobi_error_bound(e, lam, [0, 1]).round(3).tolist()
    [1.1, 0.59]
    """
    a = np.abs(np.asarray(e_hat, dtype=float)).ravel()
    if sup_norms is not None:
        a = a * np.asarray(sup_norms, dtype=float).ravel()
    keep = a > 0
    a, logr = a[keep], _log_factors(np.asarray(lam, dtype=float).ravel()[keep])
    out = np.array([_bound(a, logr, float(x)) for x in np.atleast_1d(np.asarray(sweeps, dtype=float))])
    return out if np.ndim(sweeps) else out[0]


def _first(ok, nmax: float):
    """Smallest integer ``N ≥ 0`` with ``ok(N)`` for a monotone ``ok`` (false, then true): doubling, then
    bisection; ``math.inf`` when the doubling passes ``nmax``."""
    if ok(0):
        return 0
    lo, hi = 0, 1
    while not ok(hi):
        lo = hi
        hi *= 2
        if hi > nmax:
            return math.inf
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return int(hi)


def predict_sweeps(weights: np.ndarray, factors: np.ndarray, tol: float, *, nmax: float = 1e15,
                   lump: float = 1e-3) -> float:
    """Smallest ``N ≥ 0`` with ``Σ_k |ρ_k|^N w_k ≤ tol`` (``math.inf`` if no ``N ≤ nmax`` does, or ``tol ≤ 0``).

    ``w_k = |ê_k| ‖v_k‖∞`` (non-negative), ``ρ_k`` the per-mode factors (:func:`sweep_factors`). The sum
    falls monotonically in ``N``; Newton's method on its logarithm (convex) approaches the answer from
    below, and a doubling search then bisection is the fallback. Modes each below ``lump · tol / K``
    (``K`` modes: together below ``lump · tol``) are kept as a constant (still an upper bound, so the
    answer may exceed the exact one by a few sweeps); ``lump=0`` gives the exact smallest ``N``.

    >>> import numpy as np
    >>> predict_sweeps(np.array([1.0]), np.array([0.5]), 0.1)   # 0.5**4 = 0.0625
    4
    """
    if tol <= 0:
        return math.inf
    w = np.abs(np.asarray(weights, dtype=float)).ravel()
    rho = np.abs(np.asarray(factors, dtype=float)).ravel()
    if not np.all(np.isfinite(w)):
        return math.inf
    total = float(w.sum())
    if total <= tol:
        return 0
    keep = w > tol * lump / w.size   # together the rest weigh at most lump·tol (no sort needed)
    dropped = float(w[~keep].sum())
    w, rho = w[keep], rho[keep]
    if np.any(rho >= 1.0):
        if float(w[rho >= 1.0].sum()) + dropped > tol:
            return math.inf
    logr = _log_factors(rho)

    def S(N):
        return _bound(w, logr, N) + dropped

    if np.all(rho <= 1.0) and S(1) > tol:
        n = _newton_sweeps(w, logr, tol - dropped, nmax)
        if n is not None:
            while S(n) > tol:   # Newton stops left of the root; walk the last sweeps exactly
                n += 1
            return int(n)
    return _first(lambda N: S(N) <= tol, nmax)


def _newton_sweeps(w, logr, tol, nmax):
    """Newton on ``f(N) = log Σ w_k e^{N log ρ_k} − log tol`` from ``N = 1``, where ``f > 0``. ``f`` is
    convex and decreasing (a log-sum-exp of decreasing lines), so every Newton iterate stays left
    of the root and they increase to it: a handful of passes over the modes instead of the ~2 log₂ N
    of bisection (the adaptive policy prices a snapshot at every check). Returns ``ceil`` of the
    last iterate (≤ the answer), or None to fall back on bisection."""
    if tol <= 0:
        return None
    x, logtol = 1.0, math.log(tol)
    for _ in range(100):
        e = w * np.exp(x * logr)
        s = float(e.sum())
        if s <= 0:
            return None
        f = math.log(s) - logtol
        df = float((e * logr).sum()) / s
        if f <= 0 or df >= 0:   # only by rounding: let bisection decide
            return None
        step = -f / df
        x += step
        if x > nmax:
            return None
        if step < 0.25:
            return int(math.ceil(x - step))
    return None


def sweeps_to_reach(e_hat: np.ndarray, lam: np.ndarray, tol: float, *, sup_norms=None,
                    max_sweeps: int = 10**9) -> int | None:
    """The smallest ``N`` with ``jacobi_error_bound(e_hat, lam, N, sup_norms) ≤ tol`` exactly (None if
    beyond ``max_sweeps``): :func:`predict_sweeps` with ``lump=0``.

    >>> import numpy as np
    >>> sweeps_to_reach(np.array([1.0]), np.array([0.5]), 0.1)   # 0.5^N ≤ 0.1
    4
    """
    if not tol > 0:
        raise ValueError(f"tol must be > 0; got {tol!r}")
    w = np.abs(np.asarray(e_hat, dtype=float))
    if sup_norms is not None:
        w = w * np.asarray(sup_norms, dtype=float)
    n = predict_sweeps(w, lam, tol, nmax=max_sweeps, lump=0.0)
    return None if n == math.inf or n > max_sweeps else int(n)


# -- exact Jacobi trajectories (for runs too long to execute) ---------------------------------------
def jacobi_error_curve(problem, u0, sweeps, *, omega: float = 1.0, reference="exact") -> np.ndarray:
    """``‖u_N − u_ref‖∞`` after ``N`` weighted-Jacobi sweeps from ``u0``, for each ``N`` in ``sweeps``,
    WITHOUT sweeping: Jacobi is diagonal in the sine basis, so ``u_N = u* + Σ_k λ_k^N ê_k v_k`` exactly
    (up to rounding; one inverse DST per N). Used to price Jacobi runs of hours; checked against real
    sweeps in the tests.

    >>> import numpy as np, hybridsolve as hs
    >>> from hybridsolve.solvers.relaxation import Relaxation
    >>> p = hs.problems.paper_1d(n=64)
    >>> u = p.initial_guess(); Relaxation(p).sweep(u, 500)
    >>> exact = jacobi_error_curve(p, p.initial_guess(), [500])[0]
    >>> bool(abs(exact - np.max(np.abs(u - p.u_exact))) < 1e-12)
    True
    """
    grid = problem.grid
    e_hat = error_spectrum(problem, u0)
    lam = jacobi_factors(grid, omega)
    base = problem.discrete_solution() - problem.reference(reference)
    out = []
    with np.errstate(under="ignore"):
        for N in np.atleast_1d(sweeps):
            e = base.copy()
            e[grid.interior] += idst(e_hat * np.power(lam, float(N)))
            out.append(float(np.max(np.abs(e))))
    return np.array(out)


def exact_jacobi_sweeps(problem, u0, target_error: float, *, omega: float = 1.0, reference="exact",
                        nmax: float = 1e13) -> float:
    """Smallest ``N`` (by doubling and bisection on the exact :func:`jacobi_error_curve`) with
    ``‖u_N − u_ref‖∞ ≤ τ``; ``math.inf`` if not within ``nmax`` (or never: the target is below the
    discretisation error).

    >>> import hybridsolve as hs
    >>> p = hs.problems.sine(1, 32, 1)
    >>> N = exact_jacobi_sweeps(p, p.initial_guess(), 1e-2, reference="discrete")
    >>> [bool(jacobi_error_curve(p, p.initial_guess(), [m], reference="discrete")[0] <= 1e-2) for m in (N - 1, N)]
    [False, True]
    """
    def ok(N):
        return jacobi_error_curve(problem, u0, [N], omega=omega, reference=reference)[0] <= target_error

    return _first(ok, nmax)

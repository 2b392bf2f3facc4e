"""The spectral cost model: predicted classical work from an error spectrum, without a reference.

The error of an iterate against the discrete solution ``u*`` is known from its residual,
``ê_k = −r̂_k / μ_k`` (:func:`hybridsolve.spectral.error_spectrum`). A classical sweep multiplies
mode ``k`` by ``ρ_k`` (Jacobi: ``λ_k = 1 − ω μ_k / a``), so after ``N`` sweeps
``‖e_N‖∞ ≤ S(N) = Σ_k |ρ_k|^N |ê_k| ‖v_k‖∞``. The predicted sweep count is the smallest ``N`` with
``S(N) ≤ τ − ε_disc``; switching at DNN step ``m`` is predicted to cost ``T_dnn(m) + N(u_m) · t_sweep``.

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.sine(1, 64, 1)
>>> cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-6)
>>> n_pred = cm.predict_sweeps(p.initial_guess())
>>> n_pred == int(np.ceil(np.log(1e-3) / np.log(np.cos(np.pi / 64))))   # one mode: N = log τ / log λ₁
True
"""
from __future__ import annotations

import math

import numpy as np

from .._util import require_positive, require_range
from ..spectral import dst_solve, error_spectrum, mode_sup_norms, predict_sweeps, sweep_factors

__all__ = ["CLASSICAL", "CostModel", "richardson_disc_error"]

CLASSICAL = ("jacobi", "gauss_seidel", "multigrid")


def check_classical(classical) -> str:
    """``classical`` if it is one of :data:`CLASSICAL`, else ValueError listing them.

    >>> check_classical("sor")
    Traceback (most recent call last):
    ...
    ValueError: unknown classical solver 'sor'; valid: jacobi, gauss_seidel, multigrid
    """
    if classical not in CLASSICAL:
        raise ValueError(f"unknown classical solver {classical!r}; valid: {', '.join(CLASSICAL)}")
    return classical


def richardson_disc_error(problem) -> float:
    """Estimate ``ε_disc = ‖u* − u_ref‖∞`` without the exact solution: ``‖u*_h − u*_{2h}‖∞ / 3`` on the
    shared points (second-order scheme). Needs every ``n`` even and a problem that can be
    re-discretised (callable or scalar source/boundary); raises ValueError otherwise.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=200)
    >>> est, true = richardson_disc_error(p), p.discretisation_error()
    >>> 0.5 < est / true < 2
    True
    """
    if any(nd % 2 for nd in problem.grid.n):
        raise ValueError(f"Richardson estimate of ε_disc needs even n per axis; got n={problem.grid.n}")
    coarse = problem.with_n(tuple(nd // 2 for nd in problem.grid.n))
    fine = problem.discrete_solution()
    uc = dst_solve(coarse)
    sl = tuple(slice(None, None, 2) for _ in problem.grid.n)
    return float(np.max(np.abs(fine[sl] - uc)) / 3.0)


class CostModel:
    """Predicted classical cost of finishing from an error spectrum ``ê`` (or an iterate), no reference.

    Parameters (keyword-only): ``classical`` ("jacobi", "gauss_seidel", "multigrid"), ``omega``
    (Jacobi weight), ``target_error`` τ, ``disc_error`` (ε_disc: a number, ``"richardson"`` for the
    estimate of :func:`richardson_disc_error`, or ``"exact"`` to use the analytic solution — which
    is a reference, so the adaptive policy defaults to ``"richardson"``), ``t_sweep`` (seconds per
    sweep or cycle, measured by the caller), ``mg_factor`` (multigrid contraction per cycle,
    measured by the caller). For multigrid one factor holds for all modes:
    ``N = ⌈log(tol / S(0)) / log ρ_mg⌉``.

    The methods ending in ``_from`` and :meth:`smoothing_sweeps` take ``ê`` (e.g. ``record["error_hat"]``
    from :class:`hybridsolve.monitor.ErrorSpectrum`); the others take an iterate and compute ``ê``.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=64)
    >>> cm = CostModel(p, target_error=1e-2, disc_error=0.0, t_sweep=1e-6)
    >>> e_hat = cm.error_spectrum(p.initial_guess())
    >>> cm.predict_sweeps_from(e_hat) == cm.predict_sweeps(p.initial_guess()) > 0
    True
    """

    def __init__(self, problem, *, classical="jacobi", omega=1.0, target_error, disc_error="richardson",
                 t_sweep=None, mg_factor=None):
        self.problem = problem
        self.classical = check_classical(classical)
        self.omega = float(omega)
        self.target_error = require_positive("target_error", target_error)
        self.disc_error_source = disc_error if isinstance(disc_error, str) else "given"
        if isinstance(disc_error, str):
            if disc_error == "richardson":
                try:
                    eps = richardson_disc_error(problem)
                except ValueError:
                    eps = 0.0
                    self.disc_error_source = "none (Richardson estimate impossible on this problem)"
            elif disc_error == "exact":
                eps = problem.discretisation_error() if problem.u_exact is not None else 0.0
            else:
                raise ValueError(f"disc_error={disc_error!r}; valid: a number >= 0, 'richardson', 'exact'")
        else:
            eps = require_positive("disc_error", disc_error, allow_zero=True)
        self.disc_error = float(eps)
        self.tol = self.target_error - self.disc_error
        if self.tol <= 0:
            raise ValueError(
                f"target_error={self.target_error:.3g} is unreachable: the discretisation error "
                f"ε_disc ≈ {self.disc_error:.3g} ({self.disc_error_source}) already exceeds it; "
                "raise target_error or refine n")
        self.t_sweep = None if t_sweep is None else require_positive("t_sweep", t_sweep)
        self.mg_factor = 0.15 if mg_factor is None else require_range("mg_factor", mg_factor, 0.0, 1.0)
        self.sup_norms = mode_sup_norms(problem.grid)
        self.factors = None if classical == "multigrid" else sweep_factors(problem.grid, classical, self.omega)

    # -- from an error spectrum ----------------------------------------------------------------------
    def weights(self, e_hat) -> np.ndarray:
        """``|ê_k| ‖v_k‖∞``: each mode's share of the error bound."""
        return np.abs(e_hat) * self.sup_norms

    def error_bound_from(self, e_hat) -> float:
        """``S(0) = Σ_k |ê_k| ‖v_k‖∞ ≥ ‖u − u*‖∞``."""
        return float(self.weights(e_hat).sum())

    def predict_sweeps_from(self, e_hat) -> float:
        """Predicted sweeps (or multigrid cycles) to ``‖u − u_ref‖∞ ≤ τ`` from ``ê`` (an upper bound;
        ``math.inf`` for a non-finite spectrum)."""
        w = self.weights(e_hat)
        if self.classical == "multigrid":
            s0 = float(w.sum())
            if not math.isfinite(s0):
                return math.inf
            if s0 <= self.tol:
                return 0
            return int(math.ceil(math.log(self.tol / s0) / math.log(self.mg_factor)))
        return predict_sweeps(w, self.factors, self.tol)

    def smoothing_sweeps(self, e_hat) -> int:
        """Classical sweeps until the error is smooth: the part of the bound in modes with
        ``|ρ_k| < 0.9`` falls below a tenth of the part in the slow modes (which sweeps barely touch).
        Multigrid: one cycle."""
        if self.classical == "multigrid":
            return 1
        w = self.weights(e_hat).ravel()
        rho = np.abs(self.factors).ravel()
        slow = rho >= 0.9
        s_slow = float(w[slow].sum())
        fast_w, fast_r = w[~slow], rho[~slow]
        if fast_w.sum() <= 0.1 * s_slow:
            return 1
        n = predict_sweeps(fast_w, fast_r, max(0.1 * s_slow, 1e-300))
        return int(min(n, 10**6)) if math.isfinite(n) else 10**6

    # -- from an iterate ------------------------------------------------------------------------------
    def error_spectrum(self, u) -> np.ndarray:
        """``ê`` of the full-grid iterate ``u`` (one DST)."""
        return error_spectrum(self.problem, u)

    def error_bound(self, u) -> float:
        """``S(0)`` of the iterate ``u``."""
        return self.error_bound_from(self.error_spectrum(u))

    def predict_sweeps(self, u) -> float:
        """Predicted sweeps (or cycles) from the iterate ``u``; see :meth:`predict_sweeps_from`."""
        return self.predict_sweeps_from(self.error_spectrum(u))

    def predict_time(self, u) -> float:
        """Predicted classical seconds from ``u``: ``N(u) · t_sweep``."""
        if self.t_sweep is None:
            raise ValueError("predict_time needs t_sweep (seconds per sweep) measured first")
        n = self.predict_sweeps(u)
        return math.inf if n == math.inf else n * self.t_sweep

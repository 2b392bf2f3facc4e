"""One stopping rule for every iterative solver.

Residual: ``‖b − A u‖₂ ≤ max(rtol·‖b‖₂, atol)`` (SciPy's convention). Error: ``‖u − u_ref‖∞ ≤
target_error`` where a reference is known. Budget: ``maxiter``. A run stops at the first rule met;
hitting ``maxiter`` or a non-finite iterate never counts as converged.

Divergence, the same for every solver: a check whose residual or error is not finite, or whose
residual exceeds :data:`DIVERGENCE_FACTOR` (10⁸) times the scale of the run's start (the larger of the
first check's residual and ‖b‖₂), stops the run with reason ``"diverged"``.

Stopping rules that the start already meets are refused (they would report "converged" after no
work): ``rtol ≥ 1``, ``atol ≥ ‖b‖₂`` and a ``target_error`` at or above the error of the zero start
(both hold for the default start, zero inside with the boundary values).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._util import require_int, require_positive
from .operators import norm2, residual, rhs

__all__ = ["StoppingRule", "StepBudget", "DIVERGENCE_FACTOR", "diverged"]

DIVERGENCE_FACTOR = 1e8


def diverged(residual: float, start_scale: float | None, factor: float = DIVERGENCE_FACTOR) -> bool:
    """Whether a residual says the run diverged: not finite, or above ``factor`` × ``start_scale``
    (the larger of the start's residual and ‖b‖; None or 0: only the finiteness test).

    >>> diverged(1e95, 1.0), diverged(float("nan"), None), diverged(1e3, 1.0), diverged(1e-12, 0.0)
    (True, True, False, False)
    """
    if not math.isfinite(residual):
        return True
    return bool(start_scale) and residual > factor * start_scale


@dataclass
class StoppingRule:
    """Stopping criteria bound to a problem.

    Build with :meth:`from_options`; call :meth:`measure` on an iterate, then :meth:`reason`.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=64)
    >>> rule = StoppingRule.from_options(p, rtol=1e-6, maxiter=100)
    >>> m = rule.measure(p.initial_guess())
    >>> rule.reason(m, iteration=0) is None
    True
    """

    problem: object
    rtol: float | None
    atol: float
    target_error: float | None
    maxiter: int
    reference: np.ndarray | None
    bnorm: float

    @classmethod
    def from_options(cls, problem, *, rtol=None, atol=None, target_error=None, reference=None,
                     maxiter=None, default_maxiter: int = 10_000, default_rtol: float = 1e-8):
        """Validate stopping options. With none of rtol/atol/target_error given, ``rtol=default_rtol``.

        ``reference``: None (the analytic solution if the problem has one), ``"exact"``,
        ``"discrete"`` (u*, from the direct solver) or a full-grid array (real, finite).

        >>> import hybridsolve as hs
        >>> StoppingRule.from_options(hs.problems.smooth_2d(n=16), rtol=1.0)
        Traceback (most recent call last):
        ...
        ValueError: rtol=1.0 stops nothing: ‖b − Au‖ ≤ rtol·‖b‖ already holds for the zero start (u = 0 inside), so every run would be "converged" after 0 iterations; rtol must be < 1 (typically 1e-6 … 1e-12)
        """
        from .problem import require_problem

        require_problem(problem)
        rtol = require_positive("rtol", rtol, allow_none=True, allow_zero=True)
        atol = require_positive("atol", atol, allow_none=True, allow_zero=True)
        target_error = require_positive("target_error", target_error, allow_none=True)
        maxiter = require_int("maxiter", default_maxiter if maxiter is None else maxiter, minimum=0)
        if rtol is not None and rtol >= 1:
            raise ValueError(
                f"rtol={rtol!r} stops nothing: ‖b − Au‖ ≤ rtol·‖b‖ already holds for the zero start (u = 0 inside), "
                "so every run would be \"converged\" after 0 iterations; rtol must be < 1 (typically 1e-6 … 1e-12)")
        if rtol is None and atol is None and target_error is None:
            rtol = default_rtol
        uses_exact = reference is None or (isinstance(reference, str) and reference == "exact")
        if reference is None:
            ref = problem.u_exact
        elif isinstance(reference, str) and reference == "none":
            ref = None
        else:
            ref = problem.reference(reference)
        bnorm = norm2(rhs(problem))
        if atol is not None and atol > 0 and bnorm > 0 and atol >= bnorm:
            raise ValueError(
                f"atol={atol:g} stops nothing: it is at least ‖b‖ = {bnorm:.3g}, the residual of the zero start "
                f"(u = 0 inside), so every run would be \"converged\" after 0 iterations; use atol < {bnorm:.3g} "
                "(or rtol, relative to ‖b‖)")
        if target_error is not None:
            if ref is None:
                raise ValueError(
                    f"target_error needs a reference solution and problem {problem.name!r} has no exact one; "
                    "pass reference='discrete' to measure against the direct solver's u*"
                )
            if uses_exact and problem.u_exact is not None:
                eps = problem.discretisation_error()
                if target_error <= eps:
                    raise ValueError(
                        f"target_error={target_error:.3g} is unreachable: the discretisation error "
                        f"‖u* − u_ref‖∞ = {eps:.3g} on this grid bounds what any solver of the discrete "
                        "system can reach; raise target_error, refine n, or use reference='discrete'"
                    )
            start_error = float(np.max(np.abs(problem.initial_guess() - ref)))
            if start_error > 0 and target_error >= start_error:
                raise ValueError(
                    f"target_error={target_error:g} stops nothing: the zero start (u = 0 inside) is already within "
                    f"‖u − u_ref‖∞ = {start_error:.3g} of the reference, so every run would be \"converged\" after "
                    f"0 iterations; use target_error < {start_error:.3g}")
        return cls(problem, rtol, 0.0 if atol is None else atol, target_error, maxiter,
                   None if ref is None else np.asarray(ref, dtype=float), bnorm)

    @property
    def residual_threshold(self) -> float:
        r = self.rtol * self.bnorm if self.rtol is not None else 0.0
        return max(r, self.atol)

    @property
    def uses_residual(self) -> bool:
        return self.rtol is not None or self.atol > 0

    def measure(self, u: np.ndarray, *, residual_norm: float | None = None) -> dict:
        """Residual norm (unless given) and, with a reference, ``error_inf`` and ``error_l2``."""
        out = {}
        out["residual"] = norm2(residual(self.problem, u)) if residual_norm is None else float(residual_norm)
        if self.reference is not None:
            e = u - self.reference
            out["error_inf"] = float(np.max(np.abs(e)))
            out["error_l2"] = float(np.sqrt(np.prod(self.problem.grid.h) * np.sum(e * e)))
        return out

    def start_scale(self, start_metrics: dict | None) -> float:
        """The scale divergence is measured against: the larger of the start's residual and ‖b‖."""
        r0 = (start_metrics or {}).get("residual", 0.0)
        return max(r0 if math.isfinite(r0) else 0.0, self.bnorm)

    def reason(self, metrics: dict, iteration: int, start: dict | None = None) -> str | None:
        """Why to stop now (``"rtol"``, ``"atol"``, ``"target_error"``, ``"diverged"``, ``"maxiter"``) or None.

        ``start``: the metrics of the run's first check (the loop passes them): a residual above
        :data:`DIVERGENCE_FACTOR` × :meth:`start_scale` is ``"diverged"``, as is a non-finite one.

        >>> import hybridsolve as hs
        >>> rule = StoppingRule.from_options(hs.problems.paper_1d(n=16), rtol=1e-8, maxiter=100)
        >>> rule.reason({"residual": 1e95}, 7, start={"residual": 40.0}), rule.reason({"residual": 41.0}, 7)
        ('diverged', None)
        """
        res = metrics.get("residual", math.nan)
        if diverged(res, self.start_scale(start)) or not math.isfinite(metrics.get("error_inf", 0.0)):
            return "diverged"
        if self.target_error is not None and metrics.get("error_inf", math.inf) <= self.target_error:
            return "target_error"
        if self.uses_residual and res <= self.residual_threshold:
            return "rtol" if (self.rtol is not None and res <= self.rtol * self.bnorm) else "atol"
        if iteration >= self.maxiter:
            return "maxiter"
        return None

    @staticmethod
    def converged(reason: str | None) -> bool:
        return reason in ("rtol", "atol", "target_error", "direct")


@dataclass
class StepBudget:
    """The stopping rule of a trainer without a residual (the classifier probes): ``maxiter`` steps,
    and ``"diverged"`` as soon as a recorded ``loss`` is not finite.

    >>> rule = StepBudget(10)
    >>> rule.reason({"loss": 0.3}, 5), rule.reason({"loss": 0.3}, 10), rule.reason({"loss": float("nan")}, 1)
    (None, 'maxiter', 'diverged')
    """

    maxiter: int

    def reason(self, metrics: dict, iteration: int, start: dict | None = None) -> str | None:
        if not math.isfinite(metrics.get("loss", 0.0)):
            return "diverged"
        return "maxiter" if iteration >= self.maxiter else None

"""One stopping rule for every iterative solver.

Residual: ``‖b − A u‖₂ ≤ max(rtol·‖b‖₂, atol)`` (SciPy's convention). Error: ``‖u − u_ref‖∞ ≤
target_error`` where a reference is known. Budget: ``maxiter``. A run stops at the first rule met;
hitting ``maxiter`` or a non-finite iterate never counts as converged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._util import require_int, require_positive
from .operators import residual, rhs

__all__ = ["StoppingRule", "StepBudget"]


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
        ``"discrete"`` (u*, from the direct solver) or a full-grid array.
        """
        rtol = require_positive("rtol", rtol, allow_none=True, allow_zero=True)
        atol = require_positive("atol", atol, allow_none=True, allow_zero=True)
        target_error = require_positive("target_error", target_error, allow_none=True)
        maxiter = require_int("maxiter", default_maxiter if maxiter is None else maxiter, minimum=0)
        if rtol is None and atol is None and target_error is None:
            rtol = default_rtol
        ref_kind = reference
        if reference is None:
            ref = problem.u_exact
        elif isinstance(reference, str) and reference == "none":
            ref = None
        else:
            ref = problem.reference(reference)
        if target_error is not None:
            if ref is None:
                raise ValueError(
                    f"target_error needs a reference solution and problem {problem.name!r} has no exact one; "
                    "pass reference='discrete' to measure against the direct solver's u*"
                )
            uses_exact = ref_kind in (None, "exact") and problem.u_exact is not None
            if uses_exact:
                eps = problem.discretisation_error()
                if target_error <= eps:
                    raise ValueError(
                        f"target_error={target_error:.3g} is unreachable: the discretisation error "
                        f"‖u* − u_ref‖∞ = {eps:.3g} on this grid bounds what any solver of the discrete "
                        "system can reach; raise target_error, refine n, or use reference='discrete'"
                    )
        b = rhs(problem)
        return cls(problem, rtol, 0.0 if atol is None else atol, target_error, maxiter,
                   None if ref is None else np.asarray(ref, dtype=float), float(np.linalg.norm(b.ravel())))

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
        out["residual"] = float(np.linalg.norm(residual(self.problem, u).ravel())) if residual_norm is None else float(residual_norm)
        if self.reference is not None:
            e = u - self.reference
            out["error_inf"] = float(np.max(np.abs(e)))
            out["error_l2"] = float(np.sqrt(np.prod(self.problem.grid.h) * np.sum(e * e)))
        return out

    def reason(self, metrics: dict, iteration: int) -> str | None:
        """Why to stop now (``"rtol"``, ``"atol"``, ``"target_error"``, ``"diverged"``, ``"maxiter"``) or None."""
        res = metrics.get("residual", math.nan)
        if not math.isfinite(res) or not math.isfinite(metrics.get("error_inf", 0.0)):
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

    def reason(self, metrics: dict, iteration: int) -> str | None:
        if not math.isfinite(metrics.get("loss", 0.0)):
            return "diverged"
        return "maxiter" if iteration >= self.maxiter else None

"""The result object every solver returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .history import History

__all__ = ["SolveResult"]


@dataclass
class SolveResult:
    """What :func:`hybridsolve.solve` returns.

    Attributes
    ----------
    u : solution on all grid points, boundary included.
    converged : True only if a stopping criterion (rtol/atol/target_error, or the exact direct solve)
        was met; hitting ``maxiter`` or diverging is never "converged".
    iterations : sweeps / cycles / optimiser steps taken.
    wall_time : seconds of solver work (monitoring excluded).
    history : the solver's own checks (residual norm, and error norms where a reference exists).
    method : the method name; reason : why it stopped ("rtol", "atol", "target_error", "maxiter",
        "diverged", "direct", …); residual_norm : ``‖b − A u‖₂`` at the end; error_inf : ‖u − u_ref‖∞
        at the end, or None without a reference; info : method-specific extras.
    """

    u: np.ndarray
    converged: bool
    iterations: int
    wall_time: float
    history: History = field(default_factory=History)
    method: str = ""
    reason: str = ""
    residual_norm: float = float("nan")
    error_inf: float | None = None
    info: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-friendly headline numbers."""
        out = {
            "method": self.method,
            "converged": bool(self.converged),
            "reason": self.reason,
            "iterations": int(self.iterations),
            "wall_time": float(self.wall_time),
            "residual_norm": float(self.residual_norm),
            "error_inf": None if self.error_inf is None else float(self.error_inf),
        }
        for k, v in self.info.items():
            if isinstance(v, (int, float, str, bool)) or v is None:
                out[k] = v
        return out

    def __repr__(self) -> str:
        err = "" if self.error_inf is None else f", error_inf={self.error_inf:.3e}"
        return (f"SolveResult(method={self.method!r}, converged={self.converged}, reason={self.reason!r}, "
                f"iterations={self.iterations}, wall_time={self.wall_time:.4g}s, "
                f"residual_norm={self.residual_norm:.3e}{err})")

"""What the monitor measures errors against: the analytic solution, u*, a given array, or nothing
(then against u* through the residual)."""
from __future__ import annotations

import numpy as np

__all__ = ["resolve_reference"]


def resolve_reference(problem, reference) -> tuple[str, np.ndarray | None]:
    """``(kind, array)`` for ``reference`` ``"exact"``, ``"discrete"``, a full-grid array, or None
    (kind ``"none"``, no array: errors come from the residual).

    >>> import hybridsolve as hs
    >>> kind, ref = resolve_reference(hs.problems.paper_1d(n=8), "exact")
    >>> kind, ref.shape
    ('exact', (9,))
    >>> resolve_reference(hs.problems.paper_1d(n=8), "u*")
    Traceback (most recent call last):
    ...
    ValueError: reference='u*' is not known; valid: 'exact', 'discrete', a full-grid array, or None (errors against u* from the residual)
    """
    grid = problem.grid
    if reference is None:
        return "none", None
    if isinstance(reference, str):
        if reference not in ("exact", "discrete"):
            raise ValueError(f"reference={reference!r} is not known; valid: 'exact', 'discrete', "
                             "a full-grid array, or None (errors against u* from the residual)")
        if reference == "exact" and problem.u_exact is None:
            raise ValueError(
                f"reference='exact' needs an analytic solution and problem {problem.name!r} has none; "
                "use reference='discrete' (u* from the direct solver) or reference=None "
                "(errors against u* from the residual spectrum)")
        return reference, np.ascontiguousarray(problem.reference(reference), dtype=float)
    arr = np.asarray(reference, dtype=float)
    if arr.shape != grid.shape:
        raise ValueError(f"reference array has shape {arr.shape}; the grid needs {grid.shape} "
                         "(n+1 points per axis, boundary included)")
    if not np.all(np.isfinite(arr)):
        raise ValueError("reference array has non-finite values")
    return "array", np.ascontiguousarray(arr)

"""Poisson problems ``-Δu = f`` on a box with Dirichlet boundary values, discretised on a Grid."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .grid import Grid

__all__ = ["PoissonProblem", "require_problem", "problem_bytes"]


def require_problem(problem, name: str = "problem"):
    """``problem`` if it is a :class:`PoissonProblem`, else ValueError naming ``name`` (before any work).

    >>> require_problem(None)
    Traceback (most recent call last):
    ...
    ValueError: problem must be a hybridsolve.PoissonProblem (e.g. hs.problems.paper_1d(n=1000) or hs.PoissonProblem(domain=..., n=..., source=...)); got None
    """
    if not isinstance(problem, PoissonProblem):
        shown = repr(problem)
        shown = shown if len(shown) <= 80 else f"a {type(problem).__name__}"
        raise ValueError(f"{name} must be a hybridsolve.PoissonProblem (e.g. hs.problems.paper_1d(n=1000) or "
                         f"hs.PoissonProblem(domain=..., n=..., source=...)); got {shown}")
    return problem


def problem_bytes(grid) -> int:
    """Estimated peak bytes of building a :class:`PoissonProblem` on ``grid``: the coordinate meshes, the
    source, boundary and exact values, and the temporaries of the user's callables (``dim + 7`` float64
    arrays of ``grid.shape``; measured peaks are 7–10).

    >>> problem_bytes(Grid([(0, 1)] * 3, 32)) == 10 * 33**3 * 8
    True
    """
    from ._memory import grid_bytes

    return grid_bytes(grid.shape, arrays=grid.dim + 7)


def _check_values(values, spec, name: str, shape: tuple) -> np.ndarray:
    """The output of a ``source``/``boundary``/``exact`` callable as a float array of the grid's shape."""
    try:
        arr = np.asarray(values)
    except Exception as exc:  # noqa: BLE001 - whatever the callable returned
        raise ValueError(f"{name} callable returned {type(values).__name__}, not an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        what = "complex values" if arr.dtype.kind == "c" else f"{type(values).__name__} (dtype {arr.dtype})"
        raise ValueError(f"{name} callable returned {what}; it must return real numbers: an array of the grid's "
                         f"shape {shape} (it is called on the coordinate arrays of grid.mesh()) or a scalar")
    if arr.shape != shape and arr.size != 1:
        raise ValueError(f"{name} callable returned an array of shape {arr.shape}; it must return the grid's shape "
                         f"{shape} (it is called on the coordinate arrays of grid.mesh(), each of that shape) "
                         "or a scalar")
    return np.broadcast_to(arr.astype(float), shape).copy()


class PoissonProblem:
    """``-Δu = f`` in a box, ``u = g`` on its boundary, on a uniform grid.

    Parameters
    ----------
    domain : list of (low, high) pairs (1 to 3 axes); a single pair means 1-D.
    n : intervals per axis (int or one per axis, each >= 2).
    source : f, a callable of coordinate arrays ``f(x)``, ``f(x, y)``, ``f(x, y, z)`` (called on
        ``grid.mesh()``), a scalar, or an array of ``grid.shape``.
    boundary : g, Dirichlet values: a scalar, a callable like ``source`` (only its boundary values are
        used), or an array of ``grid.shape``.
    exact : optional analytic solution (callable like ``source``); enables error-based stopping
        against ``u_ref`` and the monitor's ``reference="exact"``.
    name : label used in results and figures.

    Examples
    --------
    >>> import numpy as np
    >>> p = PoissonProblem(domain=[(0, 1)], n=8, source=lambda x: np.pi**2 * np.sin(np.pi * x),
    ...                    exact=lambda x: np.sin(np.pi * x))
    >>> p.grid.shape, p.f.shape, p.u_exact.shape
    ((9,), (9,), (9,))
    """

    def __init__(self, domain, n, source, boundary=0.0, exact: Callable | None = None, name: str = "poisson"):
        from ._memory import largest_n, require

        self.grid = Grid(domain, n)
        need = problem_bytes(self.grid)
        require(need, f"problem {name!r} on n={self.grid.n if self.grid.dim > 1 else self.grid.n[0]}: its grid "
                      f"arrays ({self.grid.size:,} points)",
                fix=f"use a smaller n (about n={largest_n(self.grid.n, need, _avail())} per axis fits)")
        self.name = str(name)
        self._source_spec = source
        self._boundary_spec = boundary
        self._exact = exact
        self.f = self._evaluate(source, "source")
        g = self._evaluate(boundary, "boundary")
        bvals = np.zeros(self.grid.shape)
        mask = self.grid.boundary_mask()
        bvals[mask] = g[mask]
        self.boundary_values = bvals  # boundary values in place, zero inside
        self.u_exact = None if exact is None else self._evaluate(exact, "exact")
        self._discrete = None

    # -- evaluation -------------------------------------------------------------------------
    def _evaluate(self, spec, name: str) -> np.ndarray:
        shape = self.grid.shape
        if callable(spec):
            try:
                values = spec(*self.grid.mesh())
            except Exception as exc:  # a user callable failing is worth naming
                raise ValueError(f"{name} callable failed on the grid coordinates: {exc}") from exc
            values = _check_values(values, spec, name, shape)
        elif isinstance(spec, (str, bytes, dict, set)) or spec is None:
            raise ValueError(f"{name} must be a number, a callable of the coordinates or an array of the grid's "
                             f"shape {shape}; got {spec!r}")
        elif np.ndim(spec) == 0:
            if isinstance(spec, (complex, np.complexfloating)):
                raise ValueError(f"{name} must be a real number; got {spec!r}")
            try:
                values = np.full(shape, float(spec))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a number, a callable or an array; got {spec!r}") from exc
        else:
            try:
                arr = np.asarray(spec)
            except Exception:  # noqa: BLE001 - ragged lists and the like
                raise ValueError(f"{name} must be a number, a callable or an array of shape {shape}; got {type(spec).__name__}") from None
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{name} array must hold real numbers; got dtype {arr.dtype}")
            if arr.shape != shape:
                raise ValueError(f"{name} array has shape {arr.shape}; the grid needs {shape} (n+1 points per axis)")
            values = arr.astype(float)
        if not np.all(np.isfinite(values)):
            bad = int(np.count_nonzero(~np.isfinite(values)))
            raise ValueError(f"{name} has {bad} non-finite value(s) on the grid")
        return values

    # -- derived quantities -------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.grid.dim

    @property
    def exact(self) -> Callable | None:
        """The analytic solution as a callable, or None."""
        return self._exact

    @property
    def has_exact(self) -> bool:
        return self.u_exact is not None

    def initial_guess(self) -> np.ndarray:
        """Zero inside, the boundary values on the boundary (the paper's Jacobi start)."""
        return self.boundary_values.copy()

    def apply_boundary(self, u: np.ndarray) -> np.ndarray:
        """Copy of ``u`` (full grid) with this problem's boundary values imposed."""
        u = np.array(u, dtype=float, copy=True)
        self.check_shape(u, "u")
        mask = self.grid.boundary_mask()
        u[mask] = self.boundary_values[mask]
        return u

    def check_shape(self, u, name: str = "u") -> None:
        if np.shape(u) != self.grid.shape:
            raise ValueError(f"{name} has shape {np.shape(u)}; expected the full grid {self.grid.shape} (boundary included)")

    def rhs(self) -> np.ndarray:
        """Right-hand side ``b`` of ``A u = b`` on interior points, boundary values lifted in."""
        from .operators import rhs

        return rhs(self)

    def discrete_solution(self) -> np.ndarray:
        """``u*``, the exact solution of the discrete system (fast DST solver), cached."""
        if self._discrete is None:
            from .spectral import dst_solve

            self._discrete = dst_solve(self)
        return self._discrete.copy()

    def discretisation_error(self) -> float:
        """``ε_disc = ‖u* − u_ref‖∞`` (needs ``exact``)."""
        if self.u_exact is None:
            raise ValueError(f"problem {self.name!r} has no exact solution, so no discretisation error")
        return float(np.max(np.abs(self.discrete_solution() - self.u_exact)))

    def reference(self, kind="exact") -> np.ndarray:
        """A reference solution on the full grid: ``"exact"`` (u_ref), ``"discrete"`` (u*) or an array."""
        if isinstance(kind, str):
            if kind == "exact":
                if self.u_exact is None:
                    raise ValueError(
                        f"reference='exact' needs an exact solution, and problem {self.name!r} has none; "
                        "use reference='discrete' (the direct solver's u*) or pass an array"
                    )
                return self.u_exact
            if kind == "discrete":
                return self.discrete_solution()
            raise ValueError(f"unknown reference {kind!r}; valid: 'exact', 'discrete', an array, or None")
        return check_reference_array(kind, self.grid.shape)

    def with_n(self, n) -> "PoissonProblem":
        """The same continuous problem on a grid with ``n`` intervals per axis (needs callables or scalars)."""
        for spec, what in ((self._source_spec, "source"), (self._boundary_spec, "boundary")):
            if not (callable(spec) or np.ndim(spec) == 0):
                raise ValueError(f"{what} is an array on the old grid; re-discretising needs a callable or a scalar")
        return PoissonProblem(domain=self.grid.bounds, n=n, source=self._source_spec,
                              boundary=self._boundary_spec, exact=self._exact, name=self.name)

    def __repr__(self) -> str:
        return f"PoissonProblem(name={self.name!r}, grid={self.grid!r}, exact={'yes' if self.has_exact else 'no'})"


def _avail() -> int:
    from ._memory import available

    return available()[0]


def check_reference_array(ref, shape: tuple, name: str = "reference") -> np.ndarray:
    """A user's reference solution: a real, finite float array of the full grid ``shape``, else ValueError.

    >>> check_reference_array([0.0, float("nan"), 0.0], (3,))
    Traceback (most recent call last):
    ...
    ValueError: reference array has 1 non-finite value(s) (NaN or inf); a reference solution must be finite everywhere
    """
    try:
        arr = np.asarray(ref)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be 'exact', 'discrete', None or a full-grid array of shape {shape}; "
                         f"got {type(ref).__name__}") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be 'exact', 'discrete', None or a real full-grid array of shape {shape}; "
                         f"got an array of dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}; expected the full grid {shape} (boundary included)")
    arr = arr.astype(float)
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"{name} array has {bad} non-finite value(s) (NaN or inf); a reference solution must be "
                         "finite everywhere")
    return arr

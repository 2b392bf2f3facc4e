"""Poisson problems ``-Δu = f`` on a box with Dirichlet boundary values, discretised on a Grid."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .grid import Grid

__all__ = ["PoissonProblem"]


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
        self.grid = Grid(domain, n)
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
            values = np.broadcast_to(np.asarray(values, dtype=float), shape).copy()
        elif np.ndim(spec) == 0:
            try:
                values = np.full(shape, float(spec))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a number, a callable or an array; got {spec!r}") from exc
        else:
            values = np.asarray(spec, dtype=float)
            if values.shape != shape:
                raise ValueError(f"{name} array has shape {values.shape}; the grid needs {shape} (n+1 points per axis)")
            values = values.copy()
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
        arr = np.asarray(kind, dtype=float)
        self.check_shape(arr, "reference")
        return arr

    def with_n(self, n) -> "PoissonProblem":
        """The same continuous problem on a grid with ``n`` intervals per axis (needs callables or scalars)."""
        for spec, what in ((self._source_spec, "source"), (self._boundary_spec, "boundary")):
            if not (callable(spec) or np.ndim(spec) == 0):
                raise ValueError(f"{what} is an array on the old grid; re-discretising needs a callable or a scalar")
        return PoissonProblem(domain=self.grid.bounds, n=n, source=self._source_spec,
                              boundary=self._boundary_spec, exact=self._exact, name=self.name)

    def __repr__(self) -> str:
        return f"PoissonProblem(name={self.name!r}, grid={self.grid!r}, exact={'yes' if self.has_exact else 'no'})"

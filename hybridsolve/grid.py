"""Uniform tensor-product grids on boxes in 1, 2 or 3 dimensions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["Grid"]


def _as_axes(value, dim: int, name: str) -> tuple:
    if np.ndim(value) == 0:
        return (value,) * dim
    value = tuple(value)
    if len(value) != dim:
        raise ValueError(f"{name} has {len(value)} entries but the domain has {dim} axes")
    return value


@dataclass(frozen=True)
class Grid:
    """A uniform grid with ``n[d]`` intervals (``n[d] + 1`` points, boundary included) per axis.

    Parameters
    ----------
    bounds : sequence of (low, high) pairs, one per axis (1 to 3 axes). A single pair means 1-D.
    n : int or sequence of int, number of intervals per axis (each >= 2).

    Examples
    --------
    >>> g = Grid([(-1.0, 1.0)], 1000)
    >>> g.dim, g.n, g.h, g.shape
    (1, (1000,), (0.002,), (1001,))
    >>> g2 = Grid([(0, 1), (0, 2)], (4, 8))
    >>> g2.shape, g2.interior_shape
    ((5, 9), (3, 7))
    """

    bounds: tuple
    n: tuple
    h: tuple = field(init=False)
    coords: tuple = field(init=False, repr=False, compare=False)

    def __init__(self, bounds, n):
        bounds = _normalise_bounds(bounds)
        dim = len(bounds)
        n = _as_axes(n, dim, "n")
        checked = []
        for d, nd in enumerate(n):
            if isinstance(nd, (bool, np.bool_)) or not isinstance(nd, (int, np.integer)):
                raise ValueError(f"n must be whole numbers of intervals per axis; got n={n!r}")
            if nd < 2:
                raise ValueError(f"n={int(nd)} on axis {d}: a grid needs at least 2 intervals (one interior point)")
            checked.append(int(nd))
        n = tuple(checked)
        from ._memory import require

        require(8 * sum(nd + 1 for nd in n), f"the coordinate arrays of a grid with n={n if dim > 1 else n[0]}",
                fix="use a smaller n")
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "h", tuple((b - a) / nd for (a, b), nd in zip(bounds, n)))
        object.__setattr__(
            self, "coords", tuple(np.linspace(a, b, nd + 1) for (a, b), nd in zip(bounds, n))
        )

    @property
    def dim(self) -> int:
        """Number of axes (1, 2 or 3)."""
        return len(self.n)

    @property
    def shape(self) -> tuple:
        """Array shape of a grid function, boundary points included: ``n + 1`` per axis."""
        return tuple(nd + 1 for nd in self.n)

    @property
    def interior_shape(self) -> tuple:
        """Shape of the unknowns: ``n - 1`` interior points per axis."""
        return tuple(nd - 1 for nd in self.n)

    @property
    def size(self) -> int:
        """Number of grid points, boundary included."""
        return int(np.prod(self.shape))

    @property
    def num_unknowns(self) -> int:
        """Number of interior points (the size of the linear system)."""
        return int(np.prod(self.interior_shape))

    @property
    def interior(self) -> tuple:
        """Index tuple selecting interior points of a full-grid array: ``u[grid.interior]``."""
        return tuple(slice(1, -1) for _ in self.n)

    @property
    def lengths(self) -> tuple:
        return tuple(b - a for a, b in self.bounds)

    def boundary_mask(self) -> np.ndarray:
        """Boolean array of :attr:`shape`, True on boundary points."""
        mask = np.ones(self.shape, dtype=bool)
        mask[self.interior] = False
        return mask

    def mesh(self) -> tuple:
        """Coordinate arrays of :attr:`shape` (``np.meshgrid(..., indexing="ij")``)."""
        if self.dim == 1:
            return (self.coords[0],)
        return tuple(np.meshgrid(*self.coords, indexing="ij"))

    def points(self) -> np.ndarray:
        """All grid points as an ``(size, dim)`` array, in C order of :attr:`shape`."""
        return np.stack([m.reshape(-1) for m in self.mesh()], axis=1)

    def coarsen(self) -> "Grid":
        """The grid with half as many intervals per axis (every ``n[d]`` must be even)."""
        odd = [nd for nd in self.n if nd % 2]
        if odd:
            raise ValueError(f"n={self.n} cannot be coarsened: every axis needs an even number of intervals")
        return Grid(self.bounds, tuple(nd // 2 for nd in self.n))

    def __repr__(self) -> str:
        return f"Grid(bounds={self.bounds}, n={self.n}, h={tuple(float(x) for x in self.h)})"


def _normalise_bounds(bounds) -> tuple:
    arr = bounds
    if isinstance(arr, (str, bytes)) or not hasattr(arr, "__len__"):
        raise ValueError(f"domain must be a list of (low, high) pairs, one per axis (e.g. [(0, 1), (0, 1)]); "
                         f"got {bounds!r}")
    if len(arr) == 2 and all(np.ndim(b) == 0 for b in arr):
        arr = [arr]
    out = []
    for pair in arr:
        if isinstance(pair, (str, bytes)) or np.ndim(pair) != 1 or len(pair) != 2:
            raise ValueError(f"domain must be a list of (low, high) pairs; got {bounds!r}")
        try:
            a, b = float(pair[0]), float(pair[1])
        except (TypeError, ValueError):
            raise ValueError(f"domain interval {tuple(pair)!r} must hold two numbers (low, high); got {bounds!r}") from None
        if not (np.isfinite(a) and np.isfinite(b)) or not b > a:
            raise ValueError(f"domain interval ({a}, {b}) must be finite with low < high")
        out.append((a, b))
    if not 1 <= len(out) <= 3:
        raise ValueError(f"domain has {len(out)} axes; hybridsolve supports 1, 2 or 3")
    return tuple(out)

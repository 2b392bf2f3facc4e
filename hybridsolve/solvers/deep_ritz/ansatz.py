"""The hard boundary condition of Deep Ritz: ``u = g̃ + φ·N`` meets the Dirichlet values by construction.

``φ = Π_d (x_d − a_d)(b_d − x_d) / (L_d/2)²`` (:func:`distance`, 0 on the boundary, max 1) and ``g̃``
the linear interpolant of the boundary values in 1-D, 0 for zero data in any dimension
(:func:`extension`). :class:`HardBoundary` maps the raw network ``(N, ∇N)`` to ``(u, ∇u)`` on a batch
and carries the loss gradient back (the chain rule, by hand, like the network's backward);
:class:`SoftBoundary` is the identity (the β penalty in the loss handles the boundary).

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.smooth_1d(n=4)                 # u(0) = 1, u(1) = e + 1
>>> bc = HardBoundary(p)
>>> u = bc.grid_values(np.zeros(p.grid.shape))      # N = 0: u = g̃, the boundary values at both ends
>>> bool(np.isclose(u[0], 1.0)), bool(np.isclose(u[-1], np.e + 1))
(True, True)
"""
from __future__ import annotations

import numpy as np

__all__ = ["distance", "extension", "HardBoundary", "SoftBoundary", "boundary_ansatz"]


def distance(grid, pts):
    """``φ = Π_d (x_d − a_d)(b_d − x_d) / (L_d/2)²`` at ``pts`` (``(N, dim)``) and its gradient ``(dim, N)``.

    >>> import hybridsolve as hs
    >>> g = hs.problems.paper_1d(n=4).grid
    >>> phi, dphi = distance(g, g.points())
    >>> phi.tolist(), dphi[0].tolist()
    ([0.0, 0.75, 1.0, 0.75, 0.0], [2.0, 1.0, 0.0, -1.0, -2.0])
    """
    dim = grid.dim
    facs, dfacs = [], []
    for d, (a, b) in enumerate(grid.bounds):
        s = ((b - a) / 2.0) ** 2
        x = pts[:, d]
        facs.append((x - a) * (b - x) / s)
        dfacs.append((a + b - 2 * x) / s)
    phi = np.prod(facs, axis=0)
    dphi = np.empty((dim, pts.shape[0]))
    for d in range(dim):
        others = np.prod([facs[e] for e in range(dim) if e != d], axis=0) if dim > 1 else 1.0
        dphi[d] = dfacs[d] * others
    return phi, dphi


def extension(problem, pts):
    """``g̃`` extending the boundary values inside, and its gradient: 0 for zero data, linear in 1-D.

    Non-zero boundary values in 2-D/3-D are a ValueError (no extension is built for them).

    >>> import hybridsolve as hs
    >>> p = hs.problems.smooth_1d(n=2)
    >>> gt, dgt = extension(p, p.grid.points())
    >>> [round(float(v), 4) for v in gt], round(float(dgt[0, 0]), 4)
    ([1.0, 2.3591, 3.7183], 2.7183)
    """
    grid = problem.grid
    g = problem.boundary_values
    if not np.any(g[grid.boundary_mask()]):
        return np.zeros(pts.shape[0]), np.zeros((grid.dim, pts.shape[0]))
    if grid.dim != 1:
        raise ValueError("hard_bc=True supports non-zero boundary values only in 1-D (linear extension); "
                         f"problem {problem.name!r} is {grid.dim}-D with non-zero boundary values: use hard_bc=False "
                         "(the β boundary penalty) or pose the problem for u − g̃ with your own extension")
    (a, b), = grid.bounds
    gl, gr = float(g[0]), float(g[-1])
    x = pts[:, 0]
    slope = (gr - gl) / (b - a)
    return gl + slope * (x - a), np.full((1, pts.shape[0]), slope)


class SoftBoundary:
    """The identity ansatz ``u = N`` (boundary values enforced only by the loss's β penalty).

    >>> bc = SoftBoundary()
    >>> bc.restrict(None) is None, bc.apply(None, 1.0, 2.0), bc.back(None, 3.0, 4.0)
    (True, (1.0, 2.0), (3.0, 4.0))
    """

    hard = False

    def restrict(self, sel):
        """Per-batch data (none)."""
        return None

    def apply(self, part, n, nx):
        return n, nx

    def back(self, part, gu, gux):
        return gu, gux

    def grid_values(self, raw: np.ndarray) -> np.ndarray:
        return raw


class HardBoundary:
    """``u = g̃ + φ·N`` on ``problem``'s grid: φ, g̃ and their gradients as tensors (``dtype``, ``device``).

    :meth:`restrict` slices them to a batch (the grid-point indices ``sel``) once; :meth:`apply` maps
    ``(N, ∇N)`` to ``(u, ∇u)`` on that batch and :meth:`back` maps ``(dL/du, dL/d∇u)`` to
    ``(dL/dN, dL/d∇N)``; :meth:`grid_values` applies the ansatz to raw network values on the whole grid.

    >>> import torch, hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=4)
    >>> bc = HardBoundary(p, dtype=torch.float64)
    >>> part = bc.restrict(np.arange(5))
    >>> u, ux = bc.apply(part, torch.ones(5, dtype=torch.float64), None)
    >>> u.tolist()                                   # φ·1, zero boundary data
    [0.0, 0.75, 1.0, 0.75, 0.0]
    """

    hard = True

    def __init__(self, problem, *, dtype=None, device=None):
        import torch

        grid = problem.grid
        pts = grid.points()
        phi, dphi = distance(grid, pts)
        gt, dgt = extension(problem, pts)
        self._phi_np, self._gt_np = phi, gt
        kw = dict(dtype=dtype if dtype is not None else torch.float32, device=device)
        self.phi = torch.as_tensor(phi, **kw)
        self.dphi = torch.as_tensor(dphi, **kw)
        self.gtilde = torch.as_tensor(gt, **kw)
        self.dgt = torch.as_tensor(dgt, **kw)

    def restrict(self, sel):
        """``(φ, ∇φ, g̃, ∇g̃)`` at the grid points ``sel`` (an index array)."""
        return self.phi[sel], self.dphi[:, sel], self.gtilde[sel], self.dgt[:, sel]

    def apply(self, part, n, nx):
        """Raw network ``(N, ∇N)`` on the batch → ``(u, ∇u)`` (``∇u`` None without tangents)."""
        phi, dphi, gt, dgt = part
        u = gt + phi * n
        ux = None if nx is None else dgt + n * dphi + phi * nx
        return u, ux

    def back(self, part, gu, gux):
        """``(dL/du, dL/d∇u)`` → ``(dL/dN, dL/d∇N)``: the chain rule through :meth:`apply`."""
        phi, dphi = part[0], part[1]
        gn = phi * gu
        if gux is not None:
            gn = gn + (dphi * gux).sum(0)
            gux = phi * gux
        return gn, gux

    def grid_values(self, raw: np.ndarray) -> np.ndarray:
        """The ansatz ``g̃ + φ·N`` from raw network values ``N`` on every grid point (flat or grid-shaped)."""
        shape = np.shape(raw)
        return (self._gt_np + self._phi_np * np.reshape(raw, -1)).reshape(shape)


def boundary_ansatz(problem, hard: bool, *, dtype=None, device=None):
    """:class:`HardBoundary` for ``hard=True``, else :class:`SoftBoundary`.

    >>> import hybridsolve as hs
    >>> boundary_ansatz(hs.problems.paper_1d(n=4), False).hard
    False
    """
    return HardBoundary(problem, dtype=dtype, device=device) if hard else SoftBoundary()

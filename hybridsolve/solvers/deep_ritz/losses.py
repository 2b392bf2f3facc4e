"""The Deep Ritz losses with their hand-written backward: value, ``dL/dN`` and ``dL/d∇N`` on a batch.

Each loss is called as ``loss(batch, n, nx) -> (value, dL/dn, dL/dnx)`` with the raw network values
``n`` (``(N,)``) and, for ``"ritz"`` (``tangents = True``), their input gradients ``nx`` (``(dim, N)``);
:meth:`Loss.on` binds a batch, giving the ``loss_fn(h, hx)`` that
:meth:`MLP.value_and_grad <hybridsolve.nn.MLP.value_and_grad>` takes. The boundary ansatz of the batch
(:mod:`.ansatz`) is applied before the energy and its chain rule after.

* :class:`RitzLoss` — the paper's empirical energy, eq. (23)::

      I_emp(h) = Σ_interior (½|∇ₓh(x_i)|² − f(x_i) h(x_i)) δx^d + β Σ_boundary (h(x_b) − g(x_b))²

  (weights from the batch: minibatch sums rescaled so the loss is unbiased);
* :class:`DiscreteRitzLoss` — the grid energy ``δx^d (½ uᵀ A u − bᵀ u)`` on interior points, ``A = −Δ_h``
  by differences on the grid; its gradient is ``δx^d (A u − b)``, its minimiser the discrete solution u*;
* :class:`FitLoss` — the mean squared error to the reference on the grid (``u_ref``, or ``u*`` without one).

>>> import torch, hybridsolve as hs
>>> from hybridsolve.solvers.deep_ritz.sampler import Sampler
>>> from hybridsolve.solvers.deep_ritz.ansatz import SoftBoundary
>>> p = hs.problems.paper_1d(n=8)
>>> loss = make_loss("fit", p, SoftBoundary(), dtype=torch.float64)
>>> b = Sampler(p, "fit", dtype=torch.float64).full()
>>> value, gn, _ = loss(b, torch.as_tensor(p.u_exact), None)      # the reference itself: zero loss
>>> float(value), float(gn.abs().max())
(0.0, 0.0)
"""
from __future__ import annotations

from functools import partial

import numpy as np

__all__ = ["LOSSES", "Loss", "RitzLoss", "DiscreteRitzLoss", "FitLoss", "make_loss"]

LOSSES = ("ritz", "discrete_ritz", "fit")


class Loss:
    """A loss on a batch: ``loss(batch, n, nx) -> (value, dL/dn, dL/dnx)``; ``tangents``: whether it needs ``∇N``."""

    kind = ""
    tangents = False

    def __init__(self, ansatz):
        self.ansatz = ansatz

    def __call__(self, batch, n, nx):
        raise NotImplementedError

    def on(self, batch):
        """The ``loss_fn(n, nx)`` of ``batch`` (what ``MLP.value_and_grad`` calls)."""
        return partial(self, batch)


class RitzLoss(Loss):
    """Eq. (23) on a :class:`~hybridsolve.solvers.deep_ritz.sampler.Batch` with weights ``wq``, ``wb``.

    >>> import torch, hybridsolve as hs
    >>> from hybridsolve.solvers.deep_ritz.sampler import Sampler
    >>> from hybridsolve.solvers.deep_ritz.ansatz import SoftBoundary
    >>> p = hs.problems.paper_1d(n=4)
    >>> b = Sampler(p, "ritz", beta=10.0, dtype=torch.float64).full()
    >>> zero = torch.zeros(5, dtype=torch.float64)
    >>> float(RitzLoss(SoftBoundary())(b, zero, zero[None])[0])   # h = 0: no energy, zero boundary data
    0.0
    """

    kind = "ritz"
    tangents = True

    def __call__(self, batch, n, nx):
        bc, part = self.ansatz, batch.bc
        u, ux = bc.apply(part, n, nx)
        wq, wb, f = batch.wq, batch.wb, batch.f
        d = u - batch.g
        loss = (wq * (0.5 * (ux * ux).sum(0) - f * u)).sum() + (wb * d * d).sum()
        gu = 2.0 * wb * d - wq * f
        gux = wq * ux
        return (loss, *bc.back(part, gu, gux))


class DiscreteRitzLoss(Loss):
    """``δx^d (½ uᵀ A u − bᵀ u)`` on the interior points of ``problem``'s grid (``"discrete_ritz"``'s batch).

    >>> import torch, hybridsolve as hs
    >>> from hybridsolve.solvers.deep_ritz.ansatz import SoftBoundary
    >>> p = hs.problems.paper_1d(n=4)
    >>> L = DiscreteRitzLoss(p, SoftBoundary(), dtype=torch.float64)
    >>> L.apply_a(torch.ones(3, dtype=torch.float64)).tolist()        # A·1 = (1, 0, 1)/h² with h = 0.5
    [4.0, 0.0, 4.0]
    """

    kind = "discrete_ritz"

    def __init__(self, problem, ansatz, *, dtype=None, device=None):
        import torch

        super().__init__(ansatz)
        grid = problem.grid
        kw = dict(dtype=dtype if dtype is not None else torch.float32, device=device)
        self.grid = grid
        self.b = torch.as_tensor(problem.rhs().reshape(-1), **kw)
        self.vol = float(np.prod(grid.h))
        self.h2 = [hd ** -2 for hd in grid.h]
        self._pad = torch.zeros(grid.shape, **kw)

    def apply_a(self, u_int):
        """``A u`` (zero boundary) on interior points by differences on the grid (tensor slicing)."""
        grid = self.grid
        p = self._pad
        inner = grid.interior
        p[inner] = u_int.view(grid.interior_shape)
        out = None
        for d in range(grid.dim):
            lo, hi = list(inner), list(inner)
            lo[d], hi[d] = slice(0, -2), slice(2, None)
            term = (2.0 * p[inner] - p[tuple(lo)] - p[tuple(hi)]) * self.h2[d]
            out = term if out is None else out + term
        return out.reshape(-1)

    def __call__(self, batch, n, nx):
        bc, part = self.ansatz, batch.bc
        u, _ = bc.apply(part, n, None)
        au = self.apply_a(u)
        loss = self.vol * (0.5 * (u * au).sum() - (self.b * u).sum())
        gu = self.vol * (au - self.b)
        gn, _ = bc.back(part, gu, None)
        return loss, gn, None


class FitLoss(Loss):
    """Mean squared error to the reference on every grid point (``u_ref``, else the discrete solution u*)."""

    kind = "fit"

    def __init__(self, problem, ansatz, *, dtype=None, device=None):
        import torch

        super().__init__(ansatz)
        ref = problem.u_exact if problem.u_exact is not None else problem.discrete_solution()
        self.y = torch.as_tensor(ref.reshape(-1), dtype=dtype if dtype is not None else torch.float32, device=device)

    def __call__(self, batch, n, nx):
        bc, part = self.ansatz, batch.bc
        u, _ = bc.apply(part, n, None)
        r = u - self.y
        loss = (r * r).mean()
        gn, _ = bc.back(part, r * (2.0 / r.numel()), None)
        return loss, gn, None


def make_loss(kind: str, problem, ansatz, *, dtype=None, device=None) -> Loss:
    """The loss named ``kind`` (one of :data:`LOSSES`) for ``problem`` with the boundary ``ansatz``.

    >>> import hybridsolve as hs
    >>> from hybridsolve.solvers.deep_ritz.ansatz import SoftBoundary
    >>> make_loss("ritz", hs.problems.paper_1d(n=4), SoftBoundary()).tangents
    True
    >>> make_loss("l2", hs.problems.paper_1d(n=4), SoftBoundary())
    Traceback (most recent call last):
    ...
    ValueError: unknown loss 'l2'; valid: ritz, discrete_ritz, fit
    """
    if kind == "ritz":
        return RitzLoss(ansatz)
    if kind == "discrete_ritz":
        return DiscreteRitzLoss(problem, ansatz, dtype=dtype, device=device)
    if kind == "fit":
        return FitLoss(problem, ansatz, dtype=dtype, device=device)
    raise ValueError(f"unknown loss {kind!r}; valid: {', '.join(LOSSES)}")

"""Collocation points of Deep Ritz and their batches: the grid points each loss trains on.

* ``"ritz"``: every grid point, with quadrature weights ``δx^d`` inside and the penalty ``β`` on the
  boundary; in 2-D/3-D (or with ``batch_size``) minibatches of interior and boundary points drawn with
  replacement, their sums rescaled by ``N/batch`` so the minibatch loss is an unbiased estimate;
* ``"discrete_ritz"``: the interior points (the unknowns of ``A u = b``), always the whole set;
* ``"fit"``: every grid point.

A :class:`Batch` is what one training step sees; :class:`Sampler` makes them (``next()`` for a step,
``full()`` for the full-batch loss).

>>> import torch, hybridsolve as hs
>>> s = Sampler(hs.problems.smooth_2d(n=8), "ritz", beta=10.0, batch_size=10,
...             generator=torch.Generator().manual_seed(0))
>>> b = s.next()
>>> s.minibatch, s.points_per_step, b.x.shape[0], s.full().x.shape[0]
(True, 20, 20, 81)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_MINIBATCH", "Batch", "Sampler", "points_per_step_for"]

DEFAULT_MINIBATCH = 2048


def _ritz_batch_size(grid, batch_size):
    return batch_size if batch_size is not None else (None if grid.dim == 1 else DEFAULT_MINIBATCH)


def points_per_step_for(grid, loss: str = "ritz", batch_size=None) -> int:
    """How many points one training step of a :class:`~hybridsolve.solvers.deep_ritz.DeepRitz` on ``grid``
    evaluates the network on (its ``points_per_step``), without building one.

    >>> import hybridsolve as hs
    >>> g = hs.problems.paper_1d(n=200).grid
    >>> points_per_step_for(g), points_per_step_for(g, batch_size=50), points_per_step_for(g, "discrete_ritz")
    (201, 52, 199)
    """
    n_all = int(np.prod(grid.shape))
    nb = int(np.count_nonzero(grid.boundary_mask()))
    n_int = n_all - nb
    if loss == "ritz":
        bs = _ritz_batch_size(grid, batch_size)
        return bs + min(nb, bs) if bs is not None and bs < n_int else n_all
    return n_int if loss == "discrete_ritz" else n_all


@dataclass
class Batch:
    """The points of one training step: ``x`` (tensor ``(N, dim)``), ``sel`` (their flat grid indices),
    and for ``"ritz"`` the per-point quadrature weights ``wq``, penalty weights ``wb``, source ``f`` and
    boundary data ``g`` (tensors ``(N,)``, minibatch rescaling included); ``bc``: the boundary ansatz's
    data on these points (:meth:`HardBoundary.restrict <hybridsolve.solvers.deep_ritz.ansatz.HardBoundary.restrict>`).

    >>> import torch
    >>> Batch(torch.zeros(3, 1), np.arange(3)).wq is None
    True
    """

    x: object
    sel: np.ndarray
    wq: object = None
    wb: object = None
    f: object = None
    g: object = None
    bc: object = None


class Sampler:
    """The collocation points of ``loss`` on ``problem``'s grid, as :class:`Batch` es of tensors.

    ``batch_size``: ``"ritz"`` minibatch of interior points (None: full batch in 1-D, 2048 otherwise; a
    batch as large as the interior is the full batch); as many boundary points are drawn (all of them if
    fewer). ``generator``: the ``torch.Generator`` the minibatches are drawn with (its state is part of a
    checkpoint). ``ansatz``: the boundary ansatz whose per-batch data each batch carries.

    >>> import hybridsolve as hs
    >>> s = Sampler(hs.problems.paper_1d(n=10), "discrete_ritz")
    >>> s.minibatch, s.next().x.shape, s.next() is s.full()
    (False, torch.Size([9, 1]), True)
    """

    def __init__(self, problem, loss: str = "ritz", *, beta: float = 10.0, batch_size=None, dtype=None,
                 device=None, generator=None, ansatz=None):
        import torch

        self._torch = torch
        grid = problem.grid
        self.grid = grid
        self.loss = loss
        self.kw = dict(dtype=dtype if dtype is not None else torch.float32, device=device)
        self.generator = generator
        self.ansatz = ansatz
        pts = grid.points()
        bmask = grid.boundary_mask().reshape(-1)
        self.points = pts
        self.minibatch = False
        if loss == "ritz":
            vol = float(np.prod(grid.h))
            n_int = int(np.count_nonzero(~bmask))
            bs = _ritz_batch_size(grid, batch_size)
            self.minibatch = bs is not None and bs < n_int
            self.int_idx = np.flatnonzero(~bmask)
            self.bdry_idx = np.flatnonzero(bmask)
            if self.minibatch:
                nb = len(self.bdry_idx)
                self.nbatch_int = bs
                self.nbatch_bdry = min(nb, bs)
                self.scale_int = n_int / bs
                self.scale_bdry = nb / self.nbatch_bdry
            self.wq_all = np.where(bmask, 0.0, vol)
            self.wb_all = np.where(bmask, float(beta), 0.0)
            self.f_all = problem.f.reshape(-1)
            self.g_all = problem.boundary_values.reshape(-1)
            sel = np.arange(pts.shape[0])
            self._full = self._ritz_batch(sel, self.wq_all[sel], self.wb_all[sel])
        elif loss == "discrete_ritz":
            self._full = self._plain_batch(np.flatnonzero(~bmask))
        else:  # fit
            self._full = self._plain_batch(np.arange(pts.shape[0]))

    @property
    def points_per_step(self) -> int:
        """Points per training step (its batch)."""
        return self.nbatch_int + self.nbatch_bdry if self.minibatch else int(self._full.x.shape[0])

    def _bc(self, sel):
        return None if self.ansatz is None else self.ansatz.restrict(sel)

    def _plain_batch(self, sel) -> Batch:
        return Batch(self._torch.as_tensor(self.points[sel], **self.kw), sel, bc=self._bc(sel))

    def _ritz_batch(self, sel, wq, wb) -> Batch:
        t = self._torch
        kw = self.kw
        return Batch(t.as_tensor(self.points[sel], **kw), sel, wq=t.as_tensor(wq, **kw), wb=t.as_tensor(wb, **kw),
                     f=t.as_tensor(self.f_all[sel], **kw), g=t.as_tensor(self.g_all[sel], **kw), bc=self._bc(sel))

    def full(self) -> Batch:
        """Every collocation point of the loss (no rescaling): the full-batch loss's batch."""
        return self._full

    def next(self) -> Batch:
        """The batch of the next training step: a fresh minibatch, or the full batch."""
        if not self.minibatch:
            return self._full
        t, gen = self._torch, self.generator
        ii = t.randint(len(self.int_idx), (self.nbatch_int,), generator=gen).numpy()
        if self.nbatch_bdry < len(self.bdry_idx):
            bb = t.randint(len(self.bdry_idx), (self.nbatch_bdry,), generator=gen).numpy()
            bsel = self.bdry_idx[bb]
        else:
            bsel = self.bdry_idx
        sel = np.concatenate([self.int_idx[ii], bsel])
        n_int = len(ii)
        wq = self.wq_all[sel].copy()
        wq[:n_int] *= self.scale_int
        wb = self.wb_all[sel].copy()
        wb[n_int:] *= self.scale_bdry
        return self._ritz_batch(sel, wq, wb)

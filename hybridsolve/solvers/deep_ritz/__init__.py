"""Deep Ritz, the neural Poisson solver (Xu et al. 2020, Sec. 5), in small parts:

* :mod:`.losses` — ``"ritz"`` (eq. 23), ``"discrete_ritz"`` (the grid energy), ``"fit"`` (MSE), each with
  its hand-written backward;
* :mod:`.ansatz` — the hard boundary condition ``u = g̃ + φ·N`` (distance function, extension, chain rule);
* :mod:`.sampler` — collocation points and minibatches;
* :mod:`.solver` — :class:`DeepRitz` (composes the parts: ``step``, ``grid_values``, ``run``),
  :class:`TrainingStepper` (its stepper for :func:`~hybridsolve.iteration.iterate`), :func:`deep_ritz`
  (``hs.solve(prob, "deep_ritz", ...)``);
* :mod:`.checkpoint` — atomic save / ``weights_only`` load, and the :class:`Checkpointer` observer.

>>> import hybridsolve as hs
>>> dr = DeepRitz(hs.problems.paper_1d(n=32), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
>>> res = dr.run(20, observe_every=10)
>>> res.iterations, dr.history.steps().tolist()
(20, [0, 10, 20])
"""
from .checkpoint import Checkpointer
from .losses import LOSSES
from .sampler import DEFAULT_MINIBATCH, points_per_step_for
from .solver import (PAPER_WIDTHS, DeepRitz, TrainingClock, TrainingStepper, deep_ritz, default_widths,
                     step_cost_lower_bound)

__all__ = ["DeepRitz", "deep_ritz", "TrainingStepper", "TrainingClock", "Checkpointer", "LOSSES", "PAPER_WIDTHS",
           "DEFAULT_MINIBATCH", "default_widths", "points_per_step_for", "step_cost_lower_bound"]

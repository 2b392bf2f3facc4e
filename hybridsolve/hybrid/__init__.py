"""The hybrid solver: a Deep Ritz DNN phase, a hand-off, and a classical phase (Xu et al. 2020, Sec. 5).

The DNN trains until the switch policy says switch; its grid output, with the problem's boundary
values imposed, is the classical solver's initial guess. One History spans both phases (phase
``"dnn"`` then ``"jacobi"``/``"gauss_seidel"``/``"multigrid"``) on one timeline of solver seconds
(monitoring excluded); ``info`` splits the time per phase and says why it switched.

* :mod:`~hybridsolve.hybrid.cost_model` — :class:`CostModel` (predicted sweeps from an error spectrum),
  :func:`richardson_disc_error`;
* :mod:`~hybridsolve.hybrid.policies` — :class:`SwitchPolicy` (``decide(record, history) -> Decision``),
  :class:`Fixed`, :class:`Sweep`, :class:`Adaptive`, :func:`make_policy`;
* :mod:`~hybridsolve.hybrid.calibrate` — :func:`measure_sweep_time`, the calibrated cost model;
* :mod:`~hybridsolve.hybrid.phases` — the DNN phase (the iteration loop with the policy as controller)
  and the classical phase, on the run's History and clock;
* :mod:`~hybridsolve.hybrid.modes` — ``mode="switch"`` and ``mode="alternating"``;
* :mod:`~hybridsolve.hybrid.oracle` — :func:`sweep_oracle`, the Figure 4(d) experiment;
* :mod:`~hybridsolve.hybrid.run` — :func:`hybrid` (``hs.solve(problem, "hybrid", ...)``): options checked once.

>>> import hybridsolve as hs
>>> p = hs.problems.paper_1d(n=64)
>>> res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 16, 1], lr=1e-2), switch=5, target_error=1e-2,
...                classical="jacobi")
>>> res.converged, res.info["switch_step"], res.history.phases
(True, 5, ['dnn', 'jacobi'])
"""
from __future__ import annotations

from ..iteration import Decision
from .calibrate import measure_sweep_time
from .cost_model import CLASSICAL, CostModel, richardson_disc_error
from .oracle import sweep_oracle
from .policies import Adaptive, Fixed, Sweep, SwitchPolicy, make_policy
from .run import hybrid

__all__ = ["hybrid", "measure_sweep_time", "sweep_oracle", "CostModel", "richardson_disc_error", "CLASSICAL",
           "Decision", "SwitchPolicy", "Fixed", "Sweep", "Adaptive", "make_policy"]

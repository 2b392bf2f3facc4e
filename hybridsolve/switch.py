"""Deprecated: the switch policies and the cost model moved to :mod:`hybridsolve.hybrid`
(``policies``, ``cost_model``); the spectral pieces live in :mod:`hybridsolve.spectral`. This module
re-exports the same objects under their earlier names.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     from hybridsolve import switch, hybrid
>>> switch.Adaptive is hybrid.Adaptive
True
"""
from __future__ import annotations

import warnings

from .hybrid.cost_model import CLASSICAL, CostModel, richardson_disc_error
from .hybrid.policies import Adaptive, Decision, Fixed, Sweep, SwitchPolicy, make_policy
from .spectral import error_spectrum as error_coefficients
from .spectral import exact_jacobi_sweeps, jacobi_error_curve, mode_sup_norms, predict_sweeps, sweep_factors

warnings.warn("hybridsolve.switch is deprecated: import from hybridsolve.hybrid (policies, cost model) and "
              "hybridsolve.spectral", DeprecationWarning, stacklevel=2)

__all__ = ["CostModel", "Decision", "SwitchPolicy", "Fixed", "Sweep", "Adaptive", "make_policy",
           "error_coefficients", "mode_sup_norms", "sweep_factors", "predict_sweeps",
           "richardson_disc_error", "CLASSICAL", "jacobi_error_curve", "exact_jacobi_sweeps"]

"""Frequency-Principle probes for classifiers (Xu et al. 2020, Sec. 3–4) and their tooling.

* :class:`ProjectionProbe` — Δ_F(k) along one direction of input space (a 1-D non-uniform DFT).
* :class:`FilteringProbe` — e_low / e_high of a Gaussian low-pass split, per width δ.
* :mod:`~hybridsolve.probes.data` — MNIST / Fashion-MNIST / CIFAR-10 loaders.
* :mod:`~hybridsolve.probes.models` and :mod:`~hybridsolve.probes.train` — the classifier zoo and
  the training harness (these import torch; this package itself does not).

>>> import numpy as np
>>> from hybridsolve import probes
>>> X = np.random.default_rng(0).random((200, 6)); Y = np.eye(2)[(X[:, 0] > 0.5).astype(int)]
>>> sorted(probes.FilteringProbe(X, Y, deltas=[0.1])(Y)), len(probes.ProjectionProbe(X, Y, peaks=[0.0])(Y))
(['e_high', 'e_low'], 1)
"""
from __future__ import annotations

import importlib

from . import data
from .data import Dataset, DatasetNotFound, load, one_hot
from .filtering import FilteringProbe, filter_exact
from .projection import ProjectionProbe, projection_peaks, nudft, principal_direction

__all__ = ["ProjectionProbe", "FilteringProbe", "filter_exact", "nudft", "principal_direction", "projection_peaks",
           "data", "Dataset", "DatasetNotFound", "load", "one_hot", "models", "train"]


def __getattr__(name):
    if name in ("models", "train"):  # torch-backed submodules, imported on first use
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

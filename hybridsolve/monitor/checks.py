"""Check-time annotators: what a controller needs in a check's record, computed once per check.

An annotator is called by :func:`hybridsolve.iteration.iterate` as ``annotate(u, record)`` at every
check, before the controller's ``decide(record, history)``; it adds to ``record.data``.

>>> import numpy as np, hybridsolve as hs
>>> from hybridsolve.history import Record
>>> p = hs.problems.sine(1, 32, 1)
>>> rec = Record("dnn", 0, 0.0)
>>> ErrorSpectrum(p)(p.discrete_solution() + 0.5 * np.sin(3 * np.pi * p.grid.coords[0]), rec)
>>> round(float(rec["error_hat"][2]), 12), round(rec["error_bound"], 12)
(0.5, 0.5)
"""
from __future__ import annotations

import numpy as np

from ..spectral import eigenvalues, error_spectrum, mode_sup_norms

__all__ = ["ErrorSpectrum"]


class ErrorSpectrum:
    """The residual-based error spectrum of the check's iterate, against the discrete solution ``u*``
    and without any reference: ``record["error_hat"]`` = ``ê = −r̂/μ`` (sine coefficients of ``u − u*``
    on the interior, :func:`hybridsolve.spectral.error_spectrum`) and ``record["error_bound"]`` =
    ``Σ_k |ê_k| ‖v_k‖∞ ≥ ‖u − u*‖∞``. One DST per check; ``μ`` and ``‖v_k‖∞`` are computed once.

    >>> import hybridsolve as hs
    >>> from hybridsolve.history import Record
    >>> p = hs.problems.paper_1d(n=64)
    >>> rec = Record("dnn", 0, 0.0)
    >>> ErrorSpectrum(p)(p.discrete_solution(), rec)
    >>> rec["error_hat"].shape, rec["error_bound"] < 1e-12
    ((63,), True)
    """

    key = "error_hat"

    def __init__(self, problem):
        self.problem = problem
        self._mu = eigenvalues(problem.grid)
        self._sup = mode_sup_norms(problem.grid)

    def __call__(self, u, record) -> None:
        with np.errstate(all="ignore"):   # a non-finite iterate gives a non-finite spectrum, not an error
            e_hat = error_spectrum(self.problem, u, mu=self._mu)
            bound = float(np.sum(np.abs(e_hat) * self._sup))
        record.data[self.key] = e_hat
        record.data["error_bound"] = bound

"""The one home of the spectral mathematics of the discrete Poisson problem.

* :mod:`~hybridsolve.spectral.transforms` — ``dft``, ``dst``, ``idst`` (1-D to 3-D), their frequency
  axes, :class:`RadialBins` (``|k|`` shells), ``WORKERS`` (the threads of every transform: set it as
  ``hybridsolve.spectral.transforms.WORKERS``);
* :mod:`~hybridsolve.spectral.laplace` — the eigenvalues ``μ_k`` of ``A = −Δ_h`` and the DST direct
  solve (``solve_interior``, ``dst_solve``);
* :mod:`~hybridsolve.spectral.jacobi` — Jacobi factors ``λ_k`` (and a Gauss–Seidel model), exact mode
  sup norms ``‖v_k‖∞``, the error bound ``Σ |λ_k|^N |ê_k| ‖v_k‖∞``, the predicted sweep count, exact
  Jacobi trajectories;
* :mod:`~hybridsolve.spectral.error` — the error spectrum ``ê = −r̂/μ`` of an iterate, from its residual;
* :mod:`~hybridsolve.spectral.peaks` — peaks of an amplitude spectrum.

It depends on :mod:`hybridsolve.operators` (``b``, the residual) and nothing above it (solvers,
monitor, switch policies, hybrid). See :mod:`~hybridsolve.spectral.transforms` for the normalisations.

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.paper_1d(n=64)
>>> e_hat = error_spectrum(p, p.initial_guess())          # error of u = 0 against u*, no reference
>>> lam, sup = jacobi_factors(p.grid), mode_sup_norms(p.grid)
>>> N = predict_sweeps(np.abs(e_hat) * sup, lam, 1e-3)
>>> bool(jacobi_error_bound(e_hat, lam, N, sup) <= 1e-3 < jacobi_error_bound(e_hat, lam, 0, sup))
True
"""
from __future__ import annotations

from .error import error_from_residual, error_spectrum
from .jacobi import (exact_jacobi_sweeps, gauss_seidel_factors, jacobi_error_bound, jacobi_error_curve,
                     jacobi_factors, mode_sup_norms, predict_sweeps, sweep_factors, sweeps_to_reach)
from .laplace import dst_solve, eigenvalues, solve_interior
from .peaks import spectral_peaks
from .transforms import WORKERS, RadialBins, dft, dft_frequencies, dst, dst_frequencies, idst

# Earlier names, kept importable (the same objects).
find_peaks = spectral_peaks
jacobi_amplification = jacobi_factors

__all__ = [
    # transforms
    "dft", "dst", "idst", "dft_frequencies", "dst_frequencies", "RadialBins", "WORKERS",
    # laplace
    "eigenvalues", "solve_interior", "dst_solve",
    # jacobi
    "jacobi_factors", "gauss_seidel_factors", "sweep_factors", "mode_sup_norms", "jacobi_error_bound",
    "predict_sweeps", "sweeps_to_reach", "jacobi_error_curve", "exact_jacobi_sweeps",
    # error
    "error_spectrum", "error_from_residual",
    # peaks
    "spectral_peaks",
    # earlier names
    "find_peaks", "jacobi_amplification",
]

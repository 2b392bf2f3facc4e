"""The error spectrum of an iterate without a reference: ``ê_k = −r̂_k / μ_k``.

``r = b − A u = A (u* − u)`` on the unknowns, so in the sine basis (which diagonalises ``A``) the
coefficients of the error ``e = u − u*`` are exactly ``ê_k = −r̂_k / μ_k``, normalised as
:func:`~hybridsolve.spectral.dst`: ``(u − u*)_interior = Σ_k ê_k v_k``, ``v_k,i = Π_d sin(i_d k_d π / n_d)``.
The residual is :func:`hybridsolve.operators.residual` with the problem's boundary values
(``boundary="problem"``), so ``ê`` is the interior error against ``u*`` whatever ``u`` holds on the
boundary.

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.sine(1, 32, 1)
>>> e = error_spectrum(p, p.discrete_solution() + 0.5 * np.sin(3 * np.pi * p.grid.coords[0]))
>>> round(float(e[2]), 12), round(float(np.abs(np.delete(e, 2)).max()), 12)
(0.5, 0.0)
"""
from __future__ import annotations

import numpy as np

from ..operators import residual
from .laplace import eigenvalues
from .transforms import dst

__all__ = ["error_spectrum", "error_from_residual"]


def error_from_residual(r: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``ê = −dst(r) / μ``: the sine coefficients of ``u − u*`` from the residual ``r = b − A u``
    (interior array) and the eigenvalues ``μ`` (:func:`~hybridsolve.spectral.eigenvalues`).

    >>> import numpy as np
    >>> from hybridsolve import Grid
    >>> from hybridsolve.spectral import eigenvalues
    >>> g = Grid([(0, 1)], 8); mu = eigenvalues(g); i = np.arange(1, 8)
    >>> r = -mu[2] * 0.25 * np.sin(3 * i * np.pi / 8)    # r = −A e for e = 0.25 v_3
    >>> error_from_residual(r, mu).round(12).tolist()
    [0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0]
    """
    e_hat = dst(r)
    e_hat /= mu
    e_hat *= -1.0
    return e_hat


def error_spectrum(problem, u: np.ndarray, *, mu: np.ndarray | None = None) -> np.ndarray:
    """Exact sine coefficients ``ê`` of ``u − u*`` on the interior (shape ``grid.interior_shape``), from
    the residual of the full-grid iterate ``u`` alone: no reference needed. ``mu`` may pass
    :func:`~hybridsolve.spectral.eigenvalues` ``(problem.grid)`` computed once.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.sine(1, 16, 1)
    >>> u = p.discrete_solution(); u[1:-1] += 0.1 * np.sin(3 * np.pi * p.grid.coords[0][1:-1])
    >>> np.round(error_spectrum(p, u)[:4], 12).tolist()
    [0.0, 0.0, 0.1, 0.0]
    """
    r = residual(problem, np.asarray(u, dtype=float), boundary="problem")
    return error_from_residual(r, eigenvalues(problem.grid) if mu is None else mu)

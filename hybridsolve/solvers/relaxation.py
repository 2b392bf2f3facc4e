"""Relaxation solvers: weighted Jacobi and red-black Gauss–Seidel (SOR), on Numba kernels.

:class:`Relaxation` is the low-level object (sweep a full-grid array in place, time a sweep);
:func:`jacobi` and :func:`gauss_seidel` are the methods behind ``hs.solve(prob, "jacobi", …)``.
Weighted Jacobi multiplies the error's DST mode ``k`` by ``λ_k = 1 − ω μ_k / a`` per sweep
(:func:`amplification`), so high frequencies go first and low ones last — the Jacobi half of the
F-Principle story (Xu et al. 2020, Sec. 5).

>>> import hybridsolve as hs
>>> res = hs.solve(hs.problems.paper_1d(n=64), "jacobi", rtol=1e-6)
>>> res.converged, res.reason
(True, 'rtol')
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import kernels
from .._util import Stopwatch, require_finite, require_int, require_omega
from .. import _memory
from ..iteration import Checker, as_observers, check_monitor, initial_iterate, iterate, recording_residuals, run_history
from ..problem import require_problem
from ..result import SolveResult
from ..spectral import jacobi_factors
from ..stopping import StoppingRule

__all__ = ["Relaxation", "amplification", "jacobi", "gauss_seidel"]

_METHODS = ("jacobi", "gauss_seidel")


def amplification(problem, omega: float = 1.0) -> np.ndarray:
    """Jacobi amplification factors ``λ_k = 1 − ω μ_k / a`` on ``interior_shape`` (mode ``k`` is ``index + 1``).

    ``μ_k`` are the eigenvalues of ``A`` (DST-I modes) and ``a = Σ_d 2/h_d²`` its diagonal.

    >>> import hybridsolve as hs
    >>> lam = amplification(hs.problems.paper_1d(n=8), 1.0)
    >>> [round(float(x), 4) for x in lam]
    [0.9239, 0.7071, 0.3827, 0.0, -0.3827, -0.7071, -0.9239]
    """
    return jacobi_factors(problem.grid, require_omega(omega))


class Relaxation:
    """Sweeps of weighted Jacobi or red-black Gauss–Seidel (SOR) on one problem's grid.

    Parameters
    ----------
    problem : PoissonProblem (its source ``f`` and grid are used).
    method : ``"jacobi"`` (weighted, ping-pong with an internal scratch array) or
        ``"gauss_seidel"`` (red-black ordering, in place; ω ≠ 1 gives SOR).
    omega : relaxation weight in (0, 2).

    :meth:`sweep` updates a full-grid float64 array in place, boundary values untouched, with one
    kernel call doing all ``count`` sweeps.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=1000)
    >>> relax = Relaxation(p, "jacobi", omega=1.0)
    >>> u = p.initial_guess()
    >>> relax.sweep(u, 100)
    >>> relax.time_per_sweep() > 0
    True
    """

    def __init__(self, problem, method: str = "jacobi", omega: float = 1.0):
        require_problem(problem)
        if method not in _METHODS:
            raise ValueError(f"unknown relaxation method {method!r}; valid: {', '.join(_METHODS)}")
        self.problem = problem
        self.method = method
        self.omega = require_omega(omega)
        self.grid = problem.grid
        self.shape = self.grid.shape
        self.f = np.ascontiguousarray(problem.f, dtype=np.float64)
        self.coef = kernels.coefficients(self.grid.h, self.omega)
        dim = self.grid.dim
        par = kernels.use_parallel(self.shape)
        if method == "jacobi":
            k = kernels.jacobi(dim, par)
            scratch = np.empty(self.shape)
            f, coef = self.f, self.coef
            self._run = lambda u, count: k(u, scratch, f, count, *coef)
        else:
            k = kernels.red_black(dim, par)
            f, coef = self.f, self.coef
            self._run = lambda u, count: k(u, f, count, *coef)
        self._t_sweep = None

    def warm_up(self) -> None:
        """Compile (or load from Numba's cache) the sweep kernel without touching any iterate."""
        self._run(self.problem.initial_guess(), 0)

    def sweep(self, u: np.ndarray, count: int = 1) -> None:
        """``count`` sweeps on ``u`` in place (a C-contiguous float64 array of ``grid.shape``)."""
        if u.shape != self.shape or u.dtype != np.float64 or not u.flags.c_contiguous:
            raise ValueError(f"u must be a C-contiguous float64 array of the full grid shape {self.shape}; "
                             f"got {u.dtype} {u.shape}")
        if count > 0:
            self._run(u, int(count))

    def time_per_sweep(self) -> float:
        """Seconds per sweep on this grid, measured once (best of a few timed batches) and cached."""
        if self._t_sweep is None:
            u = self.problem.initial_guess()
            self._run(u, 1)  # compile / warm up
            count = 1
            while True:
                t0 = time.perf_counter()
                self._run(u, count)
                dt = time.perf_counter() - t0
                if dt > 0.01 or count >= 1 << 20:
                    break
                count *= 4
            best = dt / count
            for _ in range(2):
                t0 = time.perf_counter()
                self._run(u, count)
                best = min(best, (time.perf_counter() - t0) / count)
            self._t_sweep = best
        return self._t_sweep


def default_check_every(num_points: int) -> int:
    """Sweeps between stopping checks so that checking costs about 2.5 % of sweeping; always even
    (an odd Jacobi batch ends with a copy out of the scratch array).

    A check (residual norm, error norms, the record) costs roughly ``10 µs + 2.5 ns/point``; a sweep
    ``0.25 ns/point`` on grids that stay in cache (below 65 536 points, the serial kernels) and
    ``0.9 ns/point`` on larger, memory-bound ones; the ratio sets the interval (2 … 2000).

    >>> default_check_every(1001), default_check_every(2049**2)
    (1666, 112)
    """
    check = 10e-6 + 2.5e-9 * num_points
    sweep = (0.05e-6 + 0.25e-9 * num_points) if num_points < 65536 else 0.9e-9 * num_points
    k = int(min(2000, max(2, math.ceil(check / (0.025 * sweep)))))
    return k + (k % 2)


def default_maxiter(num_unknowns: int) -> int:
    """Sweep budget when ``maxiter`` is not given: about 2·10⁹ point updates, between 10⁴ and 10⁷ sweeps."""
    return int(min(10_000_000, max(10_000, 2_000_000_000 // max(1, num_unknowns))))


class _Sweeps:
    """The relaxation stepper of :func:`~hybridsolve.iteration.iterate`: sweeps on one iterate in place."""

    def __init__(self, relax: Relaxation, u: np.ndarray):
        self.phase, self.relax, self.u = relax.method, relax, u

    def advance(self, count: int) -> None:
        self.relax._run(self.u, count)

    def iterate(self) -> np.ndarray:
        return self.u


def relaxation_bytes(grid) -> int:
    """Estimated bytes a relaxation solve allocates beyond the problem's own arrays: the iterate, Jacobi's
    scratch array, the right-hand side of the stopping rule and a spare (4 float64 grid arrays)."""
    return _memory.grid_bytes(grid.shape, arrays=4)


def _relax_solve(problem, method, omega, u0, rtol, atol, target_error, reference, maxiter, check_every,
                 monitor, observe_every, callback, progress, history, time_offset, residuals) -> SolveResult:
    require_problem(problem)
    check_monitor(monitor, problem)
    as_observers(callback, monitor)   # every argument is checked before any work
    time_offset = require_finite("time_offset", time_offset)
    omega = require_omega(omega)
    grid = problem.grid
    need = relaxation_bytes(grid)
    _memory.require(need, f"{method} on n={grid.n}: its work arrays", fix=f"use a smaller n (about n="
                    f"{_memory.largest_n(grid.n, need, _memory.available()[0])} per axis fits)")
    check_every = (default_check_every(int(np.prod(grid.shape))) if check_every is None
                   else require_int("check_every", check_every, minimum=1))
    observe_every = (check_every if observe_every is None else require_int("observe_every", observe_every, minimum=1))
    rule = StoppingRule.from_options(problem, rtol=rtol, atol=atol, target_error=target_error, reference=reference,
                                     maxiter=maxiter, default_maxiter=default_maxiter(grid.num_unknowns))
    u = initial_iterate(problem, u0)
    relax = Relaxation(problem, method, omega)
    hist = run_history(history, {"method": method, "problem": problem.name, "omega": omega,
                                 "check_every": check_every})
    checker = Checker(rule)
    measure = recording_residuals(checker.measure, residuals)
    # compile (or load from cache) every kernel before the clock starts: wall_time is solver work only
    checker.measure(u)
    relax.warm_up()
    out = iterate(_Sweeps(relax, u), rule, history=hist, check_every=check_every, callback=callback,
                  monitor=monitor, observe_every=observe_every, measure=measure, progress=progress,
                  clock=Stopwatch(offset=time_offset), unit="sweep")
    return SolveResult(u=u, converged=out.converged, iterations=out.steps, wall_time=out.wall, history=hist,
                       method=method, reason=out.reason, residual_norm=out.metrics["residual"],
                       error_inf=out.metrics.get("error_inf"),
                       info={"omega": omega, "check_every": check_every, "maxiter": rule.maxiter})


def jacobi(problem, *, omega=1.0, u0=None, rtol=None, atol=None, target_error=None, reference=None, maxiter=None,
           check_every=None, monitor=None, observe_every=None, callback=None, residuals=None, progress=None,
           history=None, time_offset=0.0) -> SolveResult:
    """Weighted Jacobi iteration (ω = 1 as in the paper) until a stopping rule is met.

    Options: ``omega`` in (0, 2); ``u0`` start (full grid, boundary values are re-imposed; default
    zero inside); ``rtol``/``atol`` on ‖b − Au‖₂ (default ``rtol=1e-8`` if no criterion is given);
    ``target_error`` on ‖u − u_ref‖∞ with ``reference`` (None → the exact solution, ``"discrete"``,
    or an array); ``maxiter`` sweeps (default: about 2·10⁹ point updates); ``check_every`` sweeps
    between stopping checks (default: a few % of the run's cost; iterations are reported exactly);
    ``monitor`` / ``observe_every`` / ``callback``: observers of the iterate every ``observe_every``
    sweeps (default ``check_every``), at the start and at the end (see
    :func:`~hybridsolve.iteration.as_observers`); ``callback(xk)`` has SciPy's meaning: ``xk`` is the
    current iterate (here the full grid, boundary included, a live view: copy it to keep it), and a
    True return stops the run with ``reason="callback"``; ``residuals``: a list, filled as PyAMG's
    ``solve(residuals=[])`` is: emptied, then ‖b − A u‖₂ appended at every check, the start first
    (one entry per record this run adds to the history); ``progress`` bar;
    ``history``/``time_offset``: append the records to this History, at times after ``time_offset``
    seconds (a later phase of a longer run: the hybrid's classical phase).

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=64)
    >>> res = hs.solve(p, "jacobi", target_error=2 * p.discretisation_error(), check_every=1)
    >>> res.converged, res.reason, res.iterations > 100
    (True, 'target_error', True)
    """
    return _relax_solve(problem, "jacobi", omega, u0, rtol, atol, target_error, reference, maxiter, check_every,
                        monitor, observe_every, callback, progress, history, time_offset, residuals)


def gauss_seidel(problem, *, omega=1.0, u0=None, rtol=None, atol=None, target_error=None, reference=None,
                 maxiter=None, check_every=None, monitor=None, observe_every=None, callback=None,
                 residuals=None, progress=None, history=None, time_offset=0.0) -> SolveResult:
    """Red-black Gauss–Seidel (``omega=1``) or SOR (``omega`` in (0, 2)); options as :func:`jacobi`.

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.smooth_2d(n=16), "gauss_seidel", omega=1.7, rtol=1e-8, check_every=1)
    >>> res.converged, res.iterations < 200
    (True, True)
    """
    return _relax_solve(problem, "gauss_seidel", omega, u0, rtol, atol, target_error, reference, maxiter,
                        check_every, monitor, observe_every, callback, progress, history, time_offset, residuals)

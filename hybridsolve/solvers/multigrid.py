"""Geometric multigrid on vertex-centred grids: V, W and F cycles, full multigrid, Numba kernels throughout.

Coarsening halves ``n`` on every axis while every ``n`` is even and larger than ``coarsest``;
the coarsest level is solved directly by the type-I DST. Smoothing is red-black Gauss–Seidel
(default) or weighted Jacobi, restriction is full weighting, prolongation (bi/tri)linear
interpolation, and the coarse operators are the re-discretised Laplacians. All work arrays are
allocated once per hierarchy: a cycle allocates nothing on the fine levels.

>>> import hybridsolve as hs
>>> res = hs.solve(hs.problems.smooth_2d(n=64), "multigrid", rtol=1e-10)
>>> res.converged, res.iterations <= 12, res.info["convergence_factor"] < 0.15
(True, True, True)
"""
from __future__ import annotations

import math

import numpy as np

from .. import kernels
from ..kernels import interpolate_cubic
from .._util import Stopwatch, require_finite, require_int, require_omega
from .. import _memory
from ..iteration import Checker, as_observers, check_monitor, initial_iterate, iterate, recording_residuals, run_history
from ..problem import require_problem
from ..result import SolveResult
from ..stopping import StoppingRule
from ..spectral import eigenvalues, solve_interior

__all__ = ["Multigrid", "multigrid", "levels_for", "interpolate_cubic"]

_CYCLES = ("V", "W", "F")
_SMOOTHERS = ("gauss_seidel", "jacobi")


def levels_for(n, coarsest: int = 16) -> list:
    """The ``n`` of every level: halve while every axis is even and larger than ``coarsest``.

    >>> levels_for((1000,))
    [(1000,), (500,), (250,), (125,)]
    >>> levels_for((64, 64), coarsest=8)
    [(64, 64), (32, 32), (16, 16), (8, 8)]
    """
    n = tuple(int(x) for x in n)
    out = [n]
    while all(x % 2 == 0 and x > coarsest for x in n):
        n = tuple(x // 2 for x in n)
        out.append(n)
    return out


def _check_coarsenable(n, coarsest):
    levels = levels_for(n, coarsest)
    if len(levels) == 1 and max(n) > coarsest:
        odd = [x for x in n if x % 2]
        m = odd[0] if odd else n[0]
        lo, hi = 2 * (m // 2), 2 * (m // 2) + 2
        chain = lambda k: ", ".join(str(x[0]) for x in levels_for((k,), coarsest)[:5])  # noqa: E731
        raise ValueError(
            f"n={n if len(n) > 1 else n[0]} intervals cannot be coarsened: multigrid halves n on every axis, so it "
            f"needs an even n on every axis larger than coarsest={coarsest}; n with many factors of 2 work best, "
            f"e.g. n={lo} → levels {chain(lo)} or n={hi} → levels {chain(hi)} "
            f"(or raise coarsest to >= {max(n)} for a direct solve)"
        )
    return levels


def hierarchy_bytes(levels: list) -> int:
    """Estimated bytes of a multigrid hierarchy with the levels' ``n`` (:func:`levels_for`): three float64
    arrays (iterate, right-hand side, residual) per level, plus the solve's iterate, the stopping rule's
    right-hand side and the full-multigrid sources (three more fine-grid arrays).

    >>> hierarchy_bytes([(64, 64), (32, 32)]) == 8 * (3 * 65**2 + 3 * 33**2 + 3 * 65**2)
    True
    """
    per_level = sum(_memory.grid_bytes(tuple(x + 1 for x in n), arrays=3) for n in levels)
    return per_level + _memory.grid_bytes(tuple(x + 1 for x in levels[0]), arrays=3)


class _Level:
    """Work arrays and constants of one grid level."""

    def __init__(self, grid, smoother, omega):
        self.grid = grid
        self.shape = grid.shape
        self.u = np.zeros(self.shape)
        self.f = np.zeros(self.shape)
        self.r = np.zeros(self.shape)  # residual, and the Jacobi smoother's scratch
        self.ih = tuple(1.0 / hd**2 for hd in grid.h)
        self.coef = kernels.coefficients(grid.h, omega)
        self.mu = None
        dim = grid.dim
        par = kernels.use_parallel(self.shape)
        self.relax = kernels.red_black(dim, par) if smoother == "gauss_seidel" else kernels.jacobi(dim, par)
        # the adjoint sweep (black before red), for symmetric cycles: built when a preconditioner asks
        self.relax_reverse = None
        self.residual = kernels.residual(dim, par)
        self.prolong_add = kernels.prolong_add(dim, par)  # from the next coarser level into this one
        self.restrict = kernels.restrict(dim, kernels.use_parallel(tuple(m // 2 + 1 for m in self.shape)))


class Multigrid:
    """A multigrid hierarchy for one problem: :meth:`cycle` and :meth:`fmg` act on a full-grid array in place.

    >>> import numpy as np, hybridsolve as hs
    >>> p = hs.problems.sine(2, 32, 1)
    >>> mg = Multigrid(p)
    >>> u = p.initial_guess()
    >>> for _ in range(8):
    ...     mg.cycle(u)
    >>> bool(np.max(np.abs(u - p.discrete_solution())) < 1e-8)
    True
    """

    def __init__(self, problem, *, cycle="V", pre=2, post=2, smoother="gauss_seidel", omega=None, coarsest=16):
        require_problem(problem)
        if cycle not in _CYCLES:
            raise ValueError(f"unknown cycle {cycle!r}; valid: {', '.join(_CYCLES)}")
        if smoother not in _SMOOTHERS:
            raise ValueError(f"unknown smoother {smoother!r}; valid: {', '.join(_SMOOTHERS)}")
        self.pre = require_int("pre", pre, minimum=0)
        self.post = require_int("post", post, minimum=0)
        if self.pre + self.post == 0:
            raise ValueError("pre + post must be >= 1: multigrid needs at least one smoothing sweep per level")
        self.coarsest = require_int("coarsest", coarsest, minimum=2)
        dim = problem.grid.dim
        if omega is None:
            omega = 1.0 if smoother == "gauss_seidel" else 2.0 * dim / (2.0 * dim + 1.0)
        self.omega = require_omega(omega)
        self.cycle_type = cycle
        self.smoother = smoother
        self.problem = problem
        ns = _check_coarsenable(problem.grid.n, self.coarsest)
        grid = problem.grid
        need = hierarchy_bytes(ns)
        _memory.require(need, f"the multigrid hierarchy on n={grid.n} ({len(ns)} levels)",
                        fix=f"use a smaller n (about n={_memory.largest_n(grid.n, need, _memory.available()[0])} "
                            "per axis fits)")
        self.levels = []
        for n in ns:
            g = grid if n == grid.n else type(grid)(grid.bounds, n)
            self.levels.append(_Level(g, smoother, self.omega))
        self.levels[0].f = np.ascontiguousarray(problem.f, dtype=np.float64)
        last = self.levels[-1]
        last.mu = eigenvalues(last.grid)
        self._interior = tuple(slice(1, -1) for _ in range(dim))

    @property
    def level_n(self) -> list:
        """``n`` of every level, finest first."""
        return [L.grid.n for L in self.levels]

    # -- building blocks ----------------------------------------------------------------------
    def _smooth(self, L, count, reverse=False):
        if count:
            if self.smoother == "gauss_seidel":
                (L.relax_reverse if reverse else L.relax)(L.u, L.f, count, *L.coef)
            else:  # weighted Jacobi is its own adjoint
                L.relax(L.u, L.r, L.f, count, *L.coef)

    def _coarse_solve(self, L):
        inner = self._interior
        L.u[inner] = 0.0
        L.residual(L.u, L.f, L.r, *L.ih)  # the right-hand side with boundary values lifted in
        L.u[inner] = solve_interior(L.r[inner], L.grid, mu=L.mu)

    def _cycle(self, l, kind, symmetric=False):
        """One cycle on level ``l``. ``symmetric``: post-smoothing is the adjoint of pre-smoothing
        (``pre`` sweeps in the reverse colour order), so the cycle is a symmetric operator."""
        L = self.levels[l]
        if l == len(self.levels) - 1:
            self._coarse_solve(L)
            return
        C = self.levels[l + 1]
        self._smooth(L, self.pre)
        L.residual(L.u, L.f, L.r, *L.ih)
        L.restrict(L.r, C.f)
        C.u.fill(0.0)
        coarse_is_last = l + 1 == len(self.levels) - 1
        if kind == "V" or coarse_is_last:
            self._cycle(l + 1, kind, symmetric)
        elif kind == "W":
            self._cycle(l + 1, "W", symmetric)
            self._cycle(l + 1, "W", symmetric)
        else:  # F: an F-cycle then a V-cycle on the coarse level
            self._cycle(l + 1, "F")
            self._cycle(l + 1, "V")
        L.prolong_add(C.u, L.u)
        if symmetric:
            self._smooth(L, self.pre, reverse=True)
        else:
            self._smooth(L, self.post)

    # -- public ---------------------------------------------------------------------------------
    def cycle(self, u: np.ndarray) -> None:
        """One cycle (``self.cycle_type``) on the finest level, updating ``u`` (full grid, boundary in place) in place."""
        L = self.levels[0]
        if u.shape != L.shape or u.dtype != np.float64 or not u.flags.c_contiguous:
            raise ValueError(f"u must be a C-contiguous float64 array of shape {L.shape}")
        saved = L.u
        L.u = u
        try:
            self._cycle(0, self.cycle_type)
        finally:
            L.u = saved

    def fmg(self, u: np.ndarray) -> None:
        """One full-multigrid pass into ``u``: solve the coarsest version of the problem directly, then on each
        finer level interpolate that solution (cubic, :func:`interpolate_cubic`) and do one cycle. ``u`` is overwritten (boundary values imposed).
        """
        levels = self.levels
        sources = [levels[0].f]
        for L, C in zip(levels[:-1], levels[1:]):
            fc = np.zeros(C.shape)
            L.restrict(sources[-1], fc)
            sources.append(fc)
        bvals = self.problem.boundary_values
        saved = [L.f for L in levels]
        saved_u0 = levels[0].u
        levels[0].u = u
        try:
            for l in range(len(levels) - 1, -1, -1):
                L = levels[l]
                step = 2**l
                g = bvals[tuple(slice(None, None, step) for _ in range(u.ndim))]
                L.f = sources[l]
                if l == len(levels) - 1:
                    L.u[...] = g
                    self._coarse_solve(L)
                    continue
                # cubic interpolation of the coarse solution (linear would leave an O(h²) interpolation
                # error larger than the discretisation error on smooth problems), then this level's
                # boundary values and one cycle
                L.u[...] = interpolate_cubic(levels[l + 1].u)
                for d in range(u.ndim):
                    for end in (0, -1):
                        face = tuple(end if e == d else slice(None) for e in range(u.ndim))
                        L.u[face] = g[face]
                self._cycle(l, self.cycle_type)
        finally:
            for L, f in zip(levels, saved):
                L.f = f
            levels[0].u = saved_u0
            for L in levels[1:]:
                L.u.fill(0.0)

    def aspreconditioner(self, cycle: str = "V", coarse: str = "galerkin"):
        """This hierarchy as a preconditioner for SciPy's Krylov solvers (as PyAMG's ``aspreconditioner``):
        a :class:`scipy.sparse.linalg.LinearOperator` ``M ≈ A⁻¹`` on interior vectors, in the ordering of
        :func:`hybridsolve.operators.matrix` (C order, last axis fastest).

        ``M @ r`` is one ``cycle`` (``"V"`` or ``"W"``) for ``A e = r`` from a zero guess with zero
        boundary values, symmetric and positive definite, so CG may use it.

        ``coarse="galerkin"`` (default): the same levels and interpolation with Galerkin coarse operators
        ``Pᵀ A P`` and ``pre`` symmetric Gauss–Seidel sweeps before and after on every level
        (:class:`~hybridsolve.solvers.galerkin.GalerkinPreconditioner`; the hierarchy's ``smoother`` and
        ``omega`` are not used). On the 2-D Poisson problem at n = 256 CG needs 4 iterations to 1e-8
        with it against 5 with PyAMG's default Ruge–Stüben V-cycle, which smooths once (4 when PyAMG
        smooths twice too); see docs/solving.md.

        ``coarse="rediscretized"``: this hierarchy's own cycle (re-discretised coarse Laplacians). Its
        post-smoothing is the adjoint of
        pre-smoothing (red-black Gauss–Seidel sweeps in the reverse colour order, black first; weighted
        Jacobi is symmetric as it is), restriction is full weighting (a multiple of the transpose of
        linear interpolation) and the coarsest level is solved exactly. It needs ``pre == post``; an
        F-cycle (an F- then a V-cycle on the coarse levels) is not symmetric and is refused. The
        hierarchy's source term is not used, and one hierarchy serves as solver and preconditioner.

        >>> import numpy as np, scipy.sparse.linalg as spla, hybridsolve as hs
        >>> p = hs.problems.multiscale_2d(n=64)
        >>> A, b = hs.operators.matrix(p.grid), hs.operators.rhs(p).ravel()
        >>> M = Multigrid(p).aspreconditioner()
        >>> M.shape == A.shape
        True
        >>> its = []
        >>> x, info = spla.cg(A, b, M=M, rtol=1e-10, callback=lambda xk: its.append(1))
        >>> info, len(its) <= 10, bool(np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b))
        (0, True, True)
        """
        from scipy.sparse.linalg import LinearOperator

        if cycle not in ("V", "W"):
            why = (" (an F-cycle is not a symmetric operator: CG needs one)" if cycle == "F" else "")
            raise ValueError(f"unknown preconditioner cycle {cycle!r}{why}; valid: 'V', 'W'")
        if coarse not in ("galerkin", "rediscretized"):
            raise ValueError(f"unknown coarse operators {coarse!r}; valid: 'galerkin', 'rediscretized'")
        if self.pre != self.post:
            raise ValueError(f"aspreconditioner needs pre == post (the post-smoother must be the adjoint of the "
                             f"pre-smoother for a symmetric preconditioner, as CG needs); got pre={self.pre}, "
                             f"post={self.post}")
        if coarse == "galerkin":
            from .galerkin import GalerkinPreconditioner

            return GalerkinPreconditioner(self.problem.grid, cycle=cycle, nu=self.pre,
                                          coarsest=self.coarsest).aslinearoperator()
        if self.smoother == "gauss_seidel":
            for L in self.levels:
                if L.relax_reverse is None:
                    L.relax_reverse = kernels.red_black(L.grid.dim, kernels.use_parallel(L.shape), reverse=True)
        L0 = self.levels[0]
        grid = L0.grid
        inner = self._interior
        m = grid.interior_shape
        N = int(np.prod(m))
        rhs = np.zeros(L0.shape)   # r on the interior, zero boundary (never written)
        err = np.zeros(L0.shape)

        def apply(r):
            r = np.asarray(r)
            if r.size != N:
                raise ValueError(f"the preconditioner acts on vectors of {N} interior values; got shape {r.shape}")
            rhs[inner] = r.reshape(m)
            err.fill(0.0)
            saved_u, saved_f = L0.u, L0.f
            L0.u, L0.f = err, rhs
            try:
                self._cycle(0, cycle, symmetric=True)
            finally:
                L0.u, L0.f = saved_u, saved_f
            return err[inner].reshape(r.shape).copy()

        return LinearOperator((N, N), matvec=apply, rmatvec=apply, dtype=np.float64)


class _Cycles:
    """The multigrid stepper of :func:`~hybridsolve.iteration.iterate`: one cycle per step, the first one
    a full-multigrid pass with ``fmg``."""

    phase = "multigrid"

    def __init__(self, mg: "Multigrid", u: np.ndarray, fmg: bool):
        self.mg, self.u, self.fmg = mg, u, fmg
        self.done = 0

    def advance(self, count: int) -> None:
        for _ in range(count):
            (self.mg.fmg if self.fmg and self.done == 0 else self.mg.cycle)(self.u)
            self.done += 1

    def iterate(self) -> np.ndarray:
        return self.u


def multigrid(problem, *, cycle="V", pre=2, post=2, smoother="gauss_seidel", omega=None, fmg=False, coarsest=16,
              u0=None, rtol=None, atol=None, target_error=None, reference=None, maxiter=None, monitor=None,
              observe_every=None, callback=None, residuals=None, progress=None, history=None,
              time_offset=0.0) -> SolveResult:
    """Geometric multigrid until a stopping rule is met; every cycle is one iteration (and one check).

    Options: ``cycle`` ``"V"``/``"W"``/``"F"``; ``pre``/``post`` smoothing sweeps; ``smoother``
    ``"gauss_seidel"`` (red-black, default) or ``"jacobi"`` (weighted, default ω = 2d/(2d+1));
    ``omega`` for the smoother; ``fmg=True`` starts with one full-multigrid pass (counted as
    iteration 1; excludes ``u0``); ``coarsest``: stop coarsening at this many intervals (the
    coarsest level is solved by the DST); ``u0``, ``rtol``/``atol``/``target_error``/``reference``/
    ``maxiter`` (cycles, default 100), ``monitor``/``observe_every`` (cycles, default 1)/``callback``
    (SciPy's ``callback(xk)``), ``residuals`` (a list filled with ‖b − A u‖₂ per cycle, the start
    first, as PyAMG's), ``progress``, ``history``/``time_offset`` as for
    :func:`~hybridsolve.solvers.relaxation.jacobi`.

    ``result.info``: ``levels`` (n per level), ``convergence_factor`` (geometric mean of the
    residual reduction per cycle, FMG pass excluded), ``factors`` (per cycle).

    >>> import hybridsolve as hs
    >>> p = hs.problems.smooth_2d(n=64)
    >>> res = hs.solve(p, "multigrid", fmg=True, target_error=2 * p.discretisation_error())
    >>> res.iterations, res.reason
    (1, 'target_error')
    """
    require_problem(problem)
    check_monitor(monitor, problem)
    as_observers(callback, monitor)   # every argument is checked before any work
    time_offset = require_finite("time_offset", time_offset)
    if not isinstance(fmg, (bool, np.bool_)):
        raise ValueError(f"fmg must be True or False; got {fmg!r}")
    mg = Multigrid(problem, cycle=cycle, pre=pre, post=post, smoother=smoother, omega=omega, coarsest=coarsest)
    observe_every = 1 if observe_every is None else require_int("observe_every", observe_every, minimum=1)
    if fmg and u0 is not None:
        raise ValueError("u0 and fmg=True exclude each other: full multigrid builds its own start from the coarsest grid")
    rule = StoppingRule.from_options(problem, rtol=rtol, atol=atol, target_error=target_error, reference=reference,
                                     maxiter=maxiter, default_maxiter=100)
    u = initial_iterate(problem, u0)
    method = "multigrid"
    hist = run_history(history, {"method": method, "problem": problem.name, "cycle": cycle, "pre": mg.pre,
                                 "post": mg.post, "smoother": smoother, "omega": mg.omega, "fmg": bool(fmg),
                                 "levels": mg.level_n})
    checker = Checker(rule)
    # compile (or load from Numba's cache) every kernel on scratch copies before the clock starts
    measure = recording_residuals(checker.measure, residuals)
    checker.measure(u)
    (mg.fmg if fmg else mg.cycle)(u.copy())
    out = iterate(_Cycles(mg, u, bool(fmg)), rule, history=hist, check_every=1, callback=callback, monitor=monitor,
                  observe_every=observe_every, measure=measure, progress=progress,
                  clock=Stopwatch(offset=time_offset), unit="cycle")
    it, reason, metrics, wall = out.steps, out.reason, out.metrics, out.wall
    res = [r.data["residual"] for r in out.records]
    # residual contraction per cycle; the full-multigrid pass (cycle 1 with fmg) is not a cycle
    factors = [res[i] / res[i - 1] for i in range(1, len(res)) if not (fmg and i == 1) and res[i - 1] > 0]
    finite = [x for x in factors if x > 0 and math.isfinite(x)]
    rho = float(np.exp(np.mean(np.log(finite)))) if finite else float("nan")
    info = {"levels": [list(n) for n in mg.level_n], "num_levels": len(mg.levels), "convergence_factor": rho,
            "factors": [float(x) for x in factors], "cycle": cycle, "smoother": smoother, "omega": mg.omega,
            "fmg": bool(fmg)}
    return SolveResult(u=u, converged=StoppingRule.converged(reason), iterations=it, wall_time=wall, history=hist,
                       method=method, reason=reason, residual_norm=metrics["residual"],
                       error_inf=metrics.get("error_inf"), info=info)

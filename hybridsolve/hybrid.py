"""The hybrid solver: a Deep Ritz DNN phase, a hand-off, and a classical phase (Xu et al. 2020, Sec. 5).

The DNN trains until the switch policy (:mod:`hybridsolve.switch`) says switch; its grid output, with
the problem's boundary values imposed, is the classical solver's initial guess. One History spans
both phases (phase ``"dnn"`` then ``"jacobi"``/``"gauss_seidel"``/``"multigrid"``) on one timeline of
solver seconds (monitoring excluded); ``info`` splits the time per phase and says why it switched.

``mode="alternating"`` (beyond the paper) repeats: classical sweeps until the error is smooth, then
a warm-started DNN solves the residual equation ``A e = r`` (discrete Deep Ritz on the correction),
the adaptive policy deciding how long to train and whether the correction pays at all; the
correction is added and the classical solver resumes — the DNN as a coarse-grid correction.

>>> import hybridsolve as hs
>>> p = hs.problems.paper_1d(n=64)
>>> res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 16, 1], lr=1e-2), switch=5, target_error=1e-2,
...                classical="jacobi")
>>> res.converged, res.info["switch_step"], res.history.phases
(True, 5, ['dnn', 'jacobi'])
"""
from __future__ import annotations

import inspect
import math
import time
import warnings

import numpy as np

from ._util import Stopwatch, check_options, require_int, require_positive
from .history import History, Record
from .operators import residual
from .result import SolveResult
from .switch import CLASSICAL, Adaptive, CostModel, Decision, Fixed, Sweep, make_policy

__all__ = ["hybrid", "Hybrid", "measure_sweep_time"]

MODES = ("switch", "alternating")


def _filter_kwargs(func, options: dict) -> dict:
    params = inspect.signature(func).parameters
    return {k: v for k, v in options.items() if k in params}


def measure_sweep_time(problem, classical="jacobi", *, omega=1.0, repeats: int = 3) -> tuple[float, float | None]:
    """Measured seconds per sweep (per V-cycle for multigrid) on this problem, and for multigrid the
    measured residual contraction per cycle (None otherwise). Best of ``repeats`` timings.

    >>> import hybridsolve as hs
    >>> t, rho = measure_sweep_time(hs.problems.paper_1d(n=64))
    >>> t > 0, rho is None
    (True, True)
    """
    from .solvers import solve

    if classical in ("jacobi", "gauss_seidel"):
        from .solvers.relaxation import Relaxation

        # the cost of a sweep as the solver runs it: its loop, with its stopping checks, timed on a short run
        def run(k):
            return solve(problem, classical, maxiter=k, rtol=0.0, omega=omega).wall_time

        # marginal seconds per sweep in the solver's own loop (its stopping checks included), from
        # two runs of different lengths, so the fixed per-solve overhead cancels; the least of
        # ``repeats`` such differences, because a shared machine only ever adds time (one 10 ms
        # hiccup in a 1 ms run once made a sweep look 19× dearer)
        k1, k2 = 200, 2000
        t1 = run(k1)
        while True:
            t2 = run(k2)
            if t2 - t1 > 0.002 or k2 >= 10**6:
                break
            k2 *= 4
        diffs = [t2 - t1] + [run(k2) - run(k1) for _ in range(max(repeats, 1) - 1)]
        best = min(diffs)
        if best <= 0:   # a noisy machine: fall back on the kernel's own timing
            return float(Relaxation(problem, method=classical, omega=omega).time_per_sweep()), None
        return best / (k2 - k1), None
    if classical == "multigrid":
        best = math.inf
        rho = None
        for _ in range(repeats):
            res = solve(problem, "multigrid", maxiter=4, rtol=0.0)
            best = min(best, res.wall_time / max(res.iterations, 1))
            f = res.info.get("convergence_factor")
            if f is not None and 0 < f < 1:
                rho = float(f)
        return best, rho
    raise ValueError(f"unknown classical solver {classical!r}; valid: {', '.join(CLASSICAL)}")


class Hybrid:
    """DNN phase → hand-off → classical phase, with a switch policy. See :func:`hybrid` for options.

    >>> import hybridsolve as hs
    >>> h = Hybrid(hs.problems.paper_1d(n=64), dnn=dict(widths=[1, 16, 1]), switch=0, target_error=1e-2)
    >>> res = h.run()
    >>> res.info["switch_step"], res.info["time_dnn"]
    (0, 0.0)
    """

    def __init__(self, problem, *, dnn=None, classical="jacobi", switch="adaptive", switch_at=None,
                 mode="switch", target_error=None, rtol=None, atol=None, reference=None, maxiter=None,
                 max_dnn_steps=None, omega=1.0, monitor=None, observe_every=None, check_every=None,
                 progress=None, seed=0, disc_error="richardson", t_sweep=None, cycles=10, smooth_sweeps="auto",
                 correction_dnn=None):
        if classical not in CLASSICAL:
            raise ValueError(f"unknown classical solver {classical!r}; valid: {', '.join(CLASSICAL)}")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        self.problem = problem
        self.dnn = dict(dnn or {})
        self.classical = classical
        if isinstance(switch, str) and switch in ("fixed", "sweep"):
            if switch_at is None:
                raise ValueError(f"switch={switch!r} needs switch_at= (an int M for 'fixed', a list of Ms for 'sweep')")
            switch = Fixed(switch_at) if switch == "fixed" else Sweep(switch_at)
        elif switch_at is not None:
            raise ValueError("switch_at= is only used with switch='fixed' or switch='sweep'")
        self.policy = make_policy(switch)
        if mode == "alternating" and isinstance(self.policy, Sweep):
            raise ValueError("mode='alternating' needs a single-run policy (adaptive or fixed), not Sweep")
        self.mode = mode
        self.target_error = require_positive("target_error", target_error, allow_none=True)
        if isinstance(self.policy, (Adaptive, Sweep)) and self.target_error is None:
            raise ValueError(f"switch={self.policy.name!r} needs target_error= (the cost model and the sweep "
                             "measure time to a target error)")
        self.stop_opts = dict(rtol=rtol, atol=atol, target_error=target_error, reference=reference)
        self.reference = reference
        self.maxiter = require_int("maxiter", 10**7 if maxiter is None else maxiter, minimum=0)
        self.max_dnn_steps = require_int("max_dnn_steps", 10**6 if max_dnn_steps is None else max_dnn_steps, minimum=0)
        self.omega = require_positive("omega", omega)
        self.monitor = monitor
        self.observe_every = require_int("observe_every", observe_every, minimum=1, allow_none=True)
        self.check_every = require_int("check_every", check_every, minimum=1, allow_none=True)
        self.progress = progress
        self.seed = int(seed)
        self.disc_error = disc_error
        self.t_sweep_given = require_positive("t_sweep", t_sweep, allow_none=True)
        self.cycles = require_int("cycles", cycles, minimum=1)
        if smooth_sweeps != "auto":
            smooth_sweeps = require_int("smooth_sweeps", smooth_sweeps, minimum=1)
        self.smooth_sweeps = smooth_sweeps
        self.correction_dnn = dict(correction_dnn or {})
        # the stopping rule validates target/reference now (unreachable targets fail here, with ε_disc)
        from .stopping import StoppingRule

        self.rule = StoppingRule.from_options(problem, rtol=rtol, atol=atol, target_error=target_error,
                                              reference=reference, maxiter=self.maxiter)
        self.ref = self.rule.reference
        self.history = History(meta={"method": "hybrid", "problem": problem.name, "classical": classical,
                                     "mode": mode, **self.policy.describe(), "target_error": target_error})
        self.info: dict = {}

    # -- pieces -----------------------------------------------------------------------------------
    def _metrics(self, u) -> dict:
        """Residual and (with a reference) error norms of an iterate — monitoring, never timed."""
        out = self.rule.measure(u)
        return out

    def _make_dnn(self, problem, options: dict):
        from .solvers.deep_ritz import DeepRitz

        opts = dict(options)
        opts.setdefault("seed", self.seed)
        check_options(DeepRitz.__init__, opts, "the hybrid's dnn=dict(...)")
        return DeepRitz(problem, **opts)

    def _preflight(self, pol, problem=None, options=None) -> Decision | None:
        """The adaptive policy's pre-flight, before any network is built (see :meth:`Adaptive.preflight`)."""
        if not isinstance(pol, Adaptive):
            return None
        from .solvers.deep_ritz import DeepRitz, step_cost_lower_bound

        options = self.dnn if options is None else options
        check_options(DeepRitz.__init__, options, "the hybrid's dnn=dict(...)")
        return pol.preflight(*step_cost_lower_bound(problem or self.problem, options, budget=pol.preflight_budget))

    def _cost_model(self, t_sweep, mg_factor):
        return CostModel(self.problem, classical=self.classical, omega=self.omega, target_error=self.target_error,
                         disc_error=self.disc_error, t_sweep=t_sweep, mg_factor=mg_factor)

    def _run_classical(self, u0, *, maxiter=None, time_offset=0.0):
        """Run the classical solver from ``u0``; returns the SolveResult (its history on the merged timeline)."""
        from .solvers import method_function

        func = method_function(self.classical)
        opts = dict(u0=u0, maxiter=self.maxiter if maxiter is None else maxiter, monitor=self.monitor,
                    observe_every=self.observe_every, check_every=self.check_every, progress=self.progress,
                    **{k: v for k, v in self.stop_opts.items() if v is not None})
        if self.classical == "jacobi":
            opts["omega"] = self.omega
        opts = {k: v for k, v in opts.items() if v is not None}
        opts = _filter_kwargs(func, opts)
        if self.monitor is not None:
            base = getattr(self.monitor, "time_offset", 0.0)
            self.monitor.time_offset = base + time_offset
        try:
            res = func(self.problem, **opts)
        finally:
            if self.monitor is not None:
                self.monitor.time_offset = base
        return res

    def _observe(self, u, step, t):
        if self.monitor is not None:
            self.monitor.observe(u, phase="dnn", step=step, time=t)

    # -- the DNN phase ----------------------------------------------------------------------------
    def _dnn_phase(self, problem, model, policy, *, u_start=None, scale=1.0, base=None, phase="dnn",
                   time_offset=0.0, snapshots=None, stop_at=None):
        """Train ``model`` under ``policy``; candidate iterates are ``base + scale * output`` (interior;
        ``base=None``: the output itself with the boundary values imposed).

        Returns ``(decision, t_dnn, steps, diverged_msg)``; ``t_dnn`` counts training, the grid
        evaluations the policy needs and the policy's own checks, never monitoring.
        """
        sw = Stopwatch()
        pol_t0 = getattr(policy, "check_time", 0.0)
        last_finite = None if u_start is None else u_start.copy()
        last_finite_step = 0
        step0 = model.steps_done
        t_train0 = model.train_time
        step = 0
        obs = self.observe_every
        limit = self.max_dnn_steps if stop_at is None else stop_at
        diverged = None
        decision = Decision(False)
        loss = None
        mask = problem.grid.boundary_mask()

        def candidate():
            raw = np.asarray(model.grid_values(), dtype=float)
            if base is None:
                return problem.apply_boundary(raw)
            v = raw.copy()
            v[mask] = 0.0
            return base + scale * v

        def t_now():
            return (model.train_time - t_train0) + sw.elapsed + (getattr(policy, "check_time", 0.0) - pol_t0)

        planned = 0 if step >= limit else min(policy.next_check(0, None), limit)
        if self.monitor is not None and planned > 0 and base is None:
            self._observe(candidate(), 0, time_offset)   # the network before training (monitoring only)
        while True:
            if step > 0 or planned > 0:
                nxt = planned
                if obs:
                    nxt = min(nxt, (step // obs + 1) * obs)
                k = min(nxt, limit) - step
                if k > 0:
                    try:
                        loss = model.step(k)
                    except FloatingPointError as exc:
                        diverged = (f"the DNN diverged between steps {step} and {step + k} ({exc}); falling back to "
                                    f"the classical phase from the last finite iterate (DNN step {last_finite_step})")
                        break
                    step = model.steps_done - step0
            is_check = step >= planned or step >= limit
            if is_check:
                before = sw.stop()
                sw.start()
                u = candidate()
                policy.last_eval_cost = sw.stop() - before   # the grid evaluation is part of what a check costs
            else:
                u = candidate()  # monitoring only: not timed
            if not np.all(np.isfinite(u)):
                diverged = (f"the DNN output is not finite at step {step}; falling back to the classical phase "
                            f"from the last finite iterate (DNN step {last_finite_step})")
                break
            last_finite, last_finite_step = u, step
            data = dict(self.rule.measure(u))
            if loss is not None:
                data["loss"] = float(loss)
            if snapshots is not None:
                snapshots(step, t_now(), u)
            if is_check:
                decision = policy.check(step, t_now(), u, loss)
                tr = getattr(policy, "trace", None)
                if tr and tr[-1]["step"] == step:
                    data["predicted_sweeps"] = float(tr[-1]["sweeps"])
                    data["predicted_total"] = float(tr[-1]["total"] + time_offset)
                    data["error_bound"] = float(tr[-1]["bound"])
                if not decision.switch and step < limit:
                    t_train = model.train_time - t_train0
                    planned = min(max(policy.next_check(step, t_train / step if step else None), step + 1), limit)
            t_dnn = t_now()
            self.history.append(Record(phase, step, time_offset + t_dnn, data))
            self._observe(u, step, time_offset + t_dnn)
            if decision.switch or step >= limit:
                break
        t_dnn = t_now()
        if diverged is not None:
            warnings.warn(diverged, RuntimeWarning, stacklevel=3)
            fallback = last_finite if last_finite is not None else (
                problem.initial_guess() if base is None else base.copy())
            decision = Decision(True, fallback, last_finite_step, diverged)
        if not decision.switch:
            decision = Decision(True, None, step, f"max_dnn_steps={limit} reached")
        if decision.u is None:
            decision.u = last_finite
        return decision, t_dnn, step, diverged

    # -- modes ------------------------------------------------------------------------------------
    def run(self) -> SolveResult:
        if isinstance(self.policy, Sweep):
            return self._run_sweep()
        if self.mode == "alternating":
            return self._run_alternating()
        return self._run_switch()

    def _setup_costs(self):
        """Measured t_sweep (and multigrid factor) for the cost model; its own time is returned too.

        Numba compilation is a once-per-process cost, not a per-solve one: a one-sweep warm-up run
        compiles the kernels before the clock starts (the same is true of every solver we compare with).
        """
        from .solvers import solve

        solve(self.problem, self.classical, maxiter=1, rtol=0.0)
        t0 = time.perf_counter()
        if self.t_sweep_given is not None:
            t_sweep, mg = self.t_sweep_given, None
        else:
            t_sweep, mg = measure_sweep_time(self.problem, self.classical, omega=self.omega)
        cm = self._cost_model(t_sweep, mg)
        return cm, time.perf_counter() - t0

    def _run_switch(self) -> SolveResult:
        prob, pol = self.problem, self.policy
        cm, t_setup = (None, 0.0)
        if isinstance(pol, Adaptive):
            cm, t_setup = self._setup_costs()
        u0 = prob.initial_guess()
        self.history.append(Record("dnn", 0, 0.0, self._metrics(u0)))
        diverged = None
        if isinstance(pol, Fixed) and pol.steps == 0:
            decision, t_dnn, steps = Decision(True, u0, 0, "fixed switch point M=0: the classical solver alone"), 0.0, 0
        else:
            from .solvers import deep_ritz  # noqa: F401  (importing torch is a per-process cost, not the solve's)

            t0 = time.perf_counter()
            pol.start(problem=prob, cost_model=cm, u0=u0, max_steps=self.max_dnn_steps)
            pre = self._preflight(pol)
            model = self._make_dnn(prob, self.dnn) if pre is None else None
            t_build = time.perf_counter() - t0
            # the setup (sweep timing, ε_disc estimate, pre-flight, network construction) counts in the DNN phase
            offset = t_setup + t_build
            if pre is not None:
                decision, t_dnn, steps = pre, 0.0, 0
            else:
                decision, t_dnn, steps, diverged = self._dnn_phase(prob, model, pol, u_start=u0, time_offset=offset)
            t_dnn += offset
            self.info["time_setup"] = offset
            self.info["time_train"] = float(model.train_time) if model is not None else 0.0
            self.info["time_switch"] = float(getattr(pol, "check_time", 0.0))
            self.info["t_step"] = float(model.train_time / steps) if steps else None
        u_hand = prob.apply_boundary(decision.u)
        res = self._run_classical(u_hand, time_offset=t_dnn)
        self.history.extend(res.history, time_offset=t_dnn)
        info = dict(self.info)
        info.update(time_dnn=float(t_dnn), time_classical=float(res.wall_time), switch_step=int(decision.step or 0),
                    switch_reason=decision.reason, dnn_steps=int(steps), classical_iterations=int(res.iterations),
                    classical=self.classical, policy=pol.name, dnn_diverged=diverged is not None)
        if diverged:
            info["fallback"] = diverged
        if cm is not None:
            info.update(t_sweep=cm.t_sweep, eps_disc_estimate=cm.disc_error, eps_disc_source=cm.disc_error_source,
                        predicted_sweeps_at_switch=_num(cm.predict_sweeps(u_hand)))
            info["adaptive_trace"] = list(getattr(pol, "trace", []))
        return self._result(res.u, res, t_dnn + res.wall_time, int(steps) + int(res.iterations), info)

    def _result(self, u, res, wall, iterations, info) -> SolveResult:
        m = self.rule.measure(u)
        self.history.meta.update({k: v for k, v in info.items() if isinstance(v, (int, float, str, bool)) or v is None})
        return SolveResult(u=u, converged=bool(res.converged), iterations=iterations, wall_time=float(wall),
                           history=self.history, method="hybrid", reason=res.reason,
                           residual_norm=float(m["residual"]), error_inf=m.get("error_inf"), info=info)

    def _run_sweep(self) -> SolveResult:
        """One training run with snapshots at every M; the classical phase from each; the best M."""
        prob, pol = self.problem, self.policy
        if self.ref is None or self.target_error is None:
            raise ValueError("switch=Sweep is the Figure 4(d) oracle: it needs target_error= and a reference")
        u0 = prob.initial_guess()
        self.history.append(Record("dnn", 0, 0.0, self._metrics(u0)))
        snaps: dict[int, tuple[float, np.ndarray]] = {0: (0.0, u0.copy())}
        dnn_alone = {"reached": False, "time": None, "step": None}
        Ms = pol.Ms
        last_M = Ms[-1]
        stop_at = max(last_M, self.max_dnn_steps if self.max_dnn_steps < 10**6 else last_M)
        diverged = None
        steps = 0
        t_dnn_total = 0.0
        if last_M > 0:
            t0 = time.perf_counter()
            model = self._make_dnn(prob, self.dnn)
            t_build = time.perf_counter() - t0

            class _SweepTrain(Sweep):
                """Snapshots at every M; past the last M, training goes on to ``stop_at`` for the DNN-alone curve."""

                def next_check(self_inner, step, t_step):
                    later = [m for m in Ms if m > step]
                    return later[0] if later else stop_at

                def check(self_inner, step, t_dnn, u, loss=None):
                    if step in Ms:
                        snaps[step] = (t_dnn + t_build, u.copy())
                    return Decision(step >= stop_at, None, step, "sweep snapshots taken")

            inner = _SweepTrain(Ms)
            inner.start(problem=prob)
            decision, t_dnn_total, steps, diverged = self._dnn_phase(prob, model, inner, u_start=u0,
                                                                     time_offset=t_build, stop_at=stop_at)
            t_dnn_total += t_build
            self.info["t_step"] = float(model.train_time / steps) if steps else None
            for r in self.history.phase("dnn"):   # the DNN alone: first record at the target
                if r.step > 0 and r.data.get("error_inf", math.inf) <= self.target_error:
                    dnn_alone.update(reached=True, time=r.time, step=r.step)
                    break
        dnn_hist = self.history
        curves: dict[int, History] = {}
        table = []
        best = None
        for M in Ms:
            if M not in snaps:
                table.append({"M": M, "reached_by_dnn": False, "note": "not reached (DNN diverged or stopped early)"})
                continue
            t_M, uM = snaps[M]
            res = self._run_classical(prob.apply_boundary(uM), time_offset=t_M)
            h = History(meta={"M": M, "time_dnn": t_M})
            h.extend(res.history, time_offset=t_M)
            curves[M] = h
            total = t_M + res.wall_time
            row = {"M": M, "time_dnn": t_M, "time_classical": res.wall_time, "total": total,
                   "sweeps": int(res.iterations), "converged": bool(res.converged), "reason": res.reason,
                   "error_inf": _num(res.error_inf)}
            table.append(row)
            if res.converged and (best is None or total < best[0]):
                best = (total, M, res)
        if best is None:
            M = Ms[0] if Ms[0] in snaps else 0
            t_M, uM = snaps.get(M, (0.0, u0))
            res = self._run_classical(prob.apply_boundary(uM), time_offset=t_M, maxiter=0)
            best = (t_M + res.wall_time, M, res)
        total, best_M, res = best
        self.history = History([r for r in dnn_hist if r.phase != "dnn" or r.step <= best_M], dnn_hist.meta)
        self.history.extend(curves.get(best_M, History()))
        info = dict(self.info)
        info.update(best_M=int(best_M), switch_step=int(best_M), time_dnn=float(snaps[best_M][0]),
                    time_classical=float(res.wall_time), total_best=float(total), sweep=table,
                    curves=curves, dnn_history=dnn_hist.phase("dnn"), dnn_steps=int(steps),
                    dnn_alone_reached=dnn_alone["reached"], dnn_alone_time=dnn_alone["time"],
                    dnn_alone_step=dnn_alone["step"], time_dnn_total=float(t_dnn_total), policy="sweep",
                    switch_reason=f"sweep oracle: best M={best_M} of {Ms} (total {total:.4g} s, measured)",
                    classical=self.classical, dnn_diverged=diverged is not None)
        if diverged:
            info["fallback"] = diverged
        return self._result(res.u, res, total, int(best_M) + int(res.iterations), info)

    def _run_alternating(self) -> SolveResult:
        """DNN phase (the policy), then cycles of: classical smoothing, DNN correction on A e = r."""
        prob = self.problem
        if self.target_error is None:
            raise ValueError("mode='alternating' needs target_error=")
        cm, t_setup = self._setup_costs()
        u0 = prob.initial_guess()
        self.history.append(Record("dnn", 0, 0.0, self._metrics(u0)))
        t = t_setup
        time_classical = 0.0
        iterations = 0
        events = []
        diverged_any = None
        model = None
        # 1. the one-switch DNN phase under the given policy
        pol = self.policy if not isinstance(self.policy, Adaptive) else Adaptive(
            patience=self.policy.patience, check_every=self.policy.check_every, overhead=self.policy.overhead,
            min_steps=self.policy.min_steps, confirm=self.policy.confirm, disc_error=self.policy.disc_error)
        if isinstance(pol, Fixed) and pol.steps == 0:
            u, first = u0, Decision(True, u0, 0, "fixed M=0")
        else:
            from .solvers import deep_ritz  # noqa: F401  (torch import: a per-process cost)

            t0 = time.perf_counter()
            pol.start(problem=prob, cost_model=cm, u0=u0, max_steps=self.max_dnn_steps)
            pre = self._preflight(pol)
            model = self._make_dnn(prob, self.dnn) if pre is None else None
            t += time.perf_counter() - t0
            if pre is not None:
                first = pre
            else:
                first, td, steps, div = self._dnn_phase(prob, model, pol, u_start=u0, time_offset=t)
                diverged_any = diverged_any or div
                t += td
                iterations += steps
            u = prob.apply_boundary(first.u)
        events.append({"kind": "dnn", "steps": int(first.step or 0), "reason": first.reason, "time": t})
        corr_model = None
        res = None
        final = False
        for cycle in range(self.cycles + 1):
            # 2. classical stint: until smooth (auto), or to the target when the DNN stops paying
            if final or cycle == self.cycles:
                stint = None
            elif self.smooth_sweeps == "auto":
                stint = max(1, _smoothing_sweeps(cm, u))
            else:
                stint = self.smooth_sweeps
            remaining = self.maxiter - iterations
            res = self._run_classical(u, maxiter=remaining if stint is None else min(stint, remaining), time_offset=t)
            self.history.extend(res.history, time_offset=t)
            t += res.wall_time
            time_classical += res.wall_time
            iterations += int(res.iterations)
            u = res.u
            events.append({"kind": self.classical, "sweeps": int(res.iterations), "reason": res.reason, "time": t})
            if res.converged or res.reason == "diverged" or stint is None or iterations >= self.maxiter:
                break
            # 3. DNN correction on A e = r, scaled to O(1); the adaptive policy decides its length (or none)
            from .problem import PoissonProblem

            t0 = time.perf_counter()
            r = residual(prob, u)
            scale = cm.error_bound(u)
            if not (scale > 0 and math.isfinite(scale)):
                final = True
                continue
            rf = np.zeros(prob.grid.shape)
            rf[prob.grid.interior] = r / scale
            cprob = PoissonProblem(domain=prob.grid.bounds, n=prob.grid.n, source=rf, boundary=0.0,
                                   name=f"{prob.name}:correction")
            opts = dict(self.dnn)
            opts.update(self.correction_dnn)
            opts.setdefault("loss", "discrete_ritz")
            cpol = Adaptive(patience=getattr(self.policy, "patience", 0.05), confirm=getattr(self.policy, "confirm", 3),
                            check_every="auto")
            cpol.start(problem=prob, cost_model=cm, u0=u, max_steps=None)
            pre = self._preflight(cpol, cprob, opts)
            if pre is not None:
                t += time.perf_counter() - t0
                events.append({"kind": "correction", "steps": 0, "used_step": 0, "reason": pre.reason, "time": t})
                final = True
                continue
            if corr_model is None:
                corr_model = self._make_dnn(cprob, opts)
            else:
                corr_model.retarget(cprob)
            t += time.perf_counter() - t0   # residual, scaling, network set-up: DNN-phase cost
            dec, td, steps, div = self._dnn_phase(prob, corr_model, cpol, u_start=u, base=u, scale=scale,
                                                  phase="dnn_correction", time_offset=t,
                                                  stop_at=corr_model.steps_done + self.max_dnn_steps)
            diverged_any = diverged_any or div
            t += td
            iterations += steps
            took = int(dec.step or 0)
            events.append({"kind": "correction", "steps": int(steps), "used_step": took, "reason": dec.reason,
                           "time": t})
            if took == 0:
                final = True   # the correction did not pay: finish classically
            else:
                u = prob.apply_boundary(dec.u)
        time_dnn = t - time_classical
        info = dict(time_dnn=float(time_dnn), time_classical=float(time_classical), events=events,
                    switch_step=int(first.step or 0), switch_reason=first.reason, mode="alternating",
                    corrections=sum(1 for e in events if e["kind"] == "correction" and e.get("used_step", 0) > 0),
                    classical=self.classical, policy=self.policy.name, t_sweep=cm.t_sweep,
                    eps_disc_estimate=cm.disc_error, dnn_diverged=diverged_any is not None)
        if diverged_any:
            info["fallback"] = diverged_any
        return self._result(u, res, t, iterations, info)


def _smoothing_sweeps(cm: CostModel, u) -> int:
    """Classical sweeps until the error is smooth by the cost model: the part of the bound in modes
    with ``|ρ_k| < 0.9`` falls below a tenth of the part in the slow modes (which sweeps barely touch)."""
    if cm.classical == "multigrid":
        return 1
    w = cm.weights(u).ravel()
    rho = np.abs(cm._factors).ravel()
    slow = rho >= 0.9
    s_slow = float(w[slow].sum())
    fast_w, fast_r = w[~slow], rho[~slow]
    if fast_w.sum() <= 0.1 * s_slow:
        return 1
    from .spectral import predict_sweeps

    n = predict_sweeps(fast_w, fast_r, max(0.1 * s_slow, 1e-300))
    return int(min(n, 10**6)) if math.isfinite(n) else 10**6


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def hybrid(problem, *, dnn=None, classical="jacobi", switch="adaptive", switch_at=None, mode="switch",
           target_error=None, rtol=None, atol=None, reference=None, maxiter=None, max_dnn_steps=None,
           omega=1.0, monitor=None, observe_every=None, check_every=None, progress=None, seed=0,
           disc_error="richardson", t_sweep=None, cycles=10, smooth_sweeps="auto", correction_dnn=None) -> SolveResult:
    """DNN (Deep Ritz) for M steps, then a classical solver from its output (Xu et al. 2020, Fig. 4(d)).

    Options (keyword-only):

    * ``dnn``: options of :class:`~hybridsolve.solvers.deep_ritz.DeepRitz` (``widths``, ``lr``, ``loss`` …).
    * ``classical``: ``"jacobi"`` (weight ``omega``), ``"gauss_seidel"`` or ``"multigrid"``.
    * ``switch``: ``"adaptive"`` (cost model, no reference), an int M or ``"fixed"`` + ``switch_at=M``,
      a list of Ms or ``"sweep"`` + ``switch_at=[...]`` (the Figure 4(d) oracle), or a policy object.
    * ``mode``: ``"switch"`` (one hand-off) or ``"alternating"`` (DNN corrections on ``A e = r`` between
      classical stints; ``cycles`` at most, stint length ``smooth_sweeps`` or ``"auto"``; the
      correction network takes ``dnn`` updated by ``correction_dnn``, loss ``"discrete_ritz"`` by default).
    * stopping: ``target_error`` on ‖u − u_ref‖∞ (``reference`` as in every solver), ``rtol``/``atol``,
      ``maxiter`` (classical sweeps), ``max_dnn_steps``.
    * cost model: ``disc_error`` (``"richardson"`` estimate, a number, or ``"exact"``), ``t_sweep``
      (seconds per sweep; measured when None).
    * ``monitor``/``observe_every``: the shared monitor protocol; ``check_every``: the classical
      solver's stopping-check interval; ``progress``; ``seed`` (the DNN's, unless ``dnn`` has one).

    ``info``: ``time_dnn``, ``time_classical``, ``switch_step`` (M; 0 = classical alone),
    ``switch_reason``, ``dnn_steps``, ``classical_iterations``; adaptive: ``t_sweep``, ``t_step``,
    ``eps_disc_estimate``, ``adaptive_trace``; sweep: ``best_M``, ``sweep`` (table), ``curves``.

    >>> import hybridsolve as hs
    >>> hs.solve(hs.problems.paper_1d(n=64), "hybrid", classical="sor")
    Traceback (most recent call last):
    ...
    ValueError: unknown classical solver 'sor'; valid: jacobi, gauss_seidel, multigrid
    """
    return Hybrid(problem, dnn=dnn, classical=classical, switch=switch, switch_at=switch_at, mode=mode,
                  target_error=target_error, rtol=rtol, atol=atol, reference=reference, maxiter=maxiter,
                  max_dnn_steps=max_dnn_steps, omega=omega, monitor=monitor, observe_every=observe_every,
                  check_every=check_every, progress=progress, seed=seed, disc_error=disc_error, t_sweep=t_sweep,
                  cycles=cycles, smooth_sweeps=smooth_sweeps, correction_dnn=correction_dnn).run()

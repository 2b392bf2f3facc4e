"""``hs.solve(problem, "hybrid", ...)``: the options, checked once, and the mode that runs them.

>>> import hybridsolve as hs
>>> hs.solve(hs.problems.paper_1d(n=64), "hybrid", switch=10, cycles=3, target_error=1e-2)
Traceback (most recent call last):
...
ValueError: cycles= applies to mode='alternating' only (mode='switch')
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .._util import check_options, require_int, require_omega, require_positive
from ..history import History
from ..iteration import Checker
from ..result import SolveResult
from ..stopping import StoppingRule
from .calibrate import calibrated_cost_model
from .cost_model import check_classical
from .phases import classical_options, classical_phase
from .policies import Fixed, Sweep, make_policy

__all__ = ["hybrid", "HybridRun", "MODES"]

MODES = ("switch", "alternating")


@dataclass
class HybridRun:
    """The checked options of one hybrid run and what every mode shares: the stopping ``rule``, the
    run's one ``history``, the network builders, the classical phase. Made by :meth:`from_options`.

    >>> import hybridsolve as hs
    >>> run = HybridRun.from_options(hs.problems.paper_1d(n=64), switch=5, target_error=1e-2)
    >>> run.policy, run.mode, run.dnn["seed"], run.history.meta["method"]
    (Fixed(5), 'switch', 0, 'hybrid')
    """

    problem: object
    policy: object
    mode: str
    classical: str
    dnn: dict
    correction_dnn: dict
    target_error: float | None
    rule: StoppingRule
    maxiter: int
    max_dnn_steps: int
    omega: float
    monitor: object
    observe_every: int | None
    progress: object
    disc_error: object
    t_sweep: float | None
    cycles: int
    smooth_sweeps: object
    classical_opts: dict
    history: History

    @classmethod
    def from_options(cls, problem, *, dnn=None, classical="jacobi", switch="adaptive", switch_at=None,
                     mode="switch", target_error=None, rtol=None, atol=None, reference=None, maxiter=None,
                     max_dnn_steps=None, omega=1.0, monitor=None, observe_every=None, check_every=None,
                     progress=None, seed=0, disc_error=None, t_sweep=None, cycles=None, smooth_sweeps=None,
                     correction_dnn=None) -> "HybridRun":
        check_classical(classical)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        if isinstance(switch, str) and switch in ("fixed", "sweep"):
            if switch_at is None:
                raise ValueError(f"switch={switch!r} needs switch_at= (an int M for 'fixed', a list of Ms for 'sweep')")
            if switch == "fixed" and isinstance(switch_at, (list, tuple)):
                raise ValueError(f"switch='fixed' takes one switch point, switch_at=M; got switch_at={switch_at!r} "
                                 "(a list of Ms is switch='sweep')")
            try:
                switch = Fixed(switch_at) if switch == "fixed" else Sweep(switch_at)
            except ValueError as exc:
                raise ValueError(f"switch_at={switch_at!r}: {exc}") from None
        elif switch_at is not None:
            raise ValueError("switch_at= is only used with switch='fixed' or switch='sweep'")
        try:
            policy = make_policy(switch)
        except ValueError as exc:
            raise ValueError(f"switch={switch!r}: {exc}" if not str(exc).startswith("switch=") else str(exc)) from None
        if mode == "alternating" and policy.oracle:
            raise ValueError("mode='alternating' needs a single-run policy (adaptive or fixed), not Sweep")
        target_error = require_positive("target_error", target_error, allow_none=True)
        if policy.needs_target and target_error is None:
            raise ValueError(f"switch={policy.name!r} needs target_error= (the cost model and the sweep "
                             "measure time to a target error)")
        if mode == "alternating" and target_error is None:
            raise ValueError("mode='alternating' needs target_error=")
        for name, value in (("cycles", cycles), ("smooth_sweeps", smooth_sweeps), ("correction_dnn", correction_dnn)):
            if value is not None and mode != "alternating":
                raise ValueError(f"{name}= applies to mode='alternating' only (mode={mode!r})")
        uses_cost_model = policy.needs_cost_model or mode == "alternating"
        for name, value in (("t_sweep", t_sweep), ("disc_error", disc_error)):
            if value is not None and not uses_cost_model:
                raise ValueError(f"{name}= is an input of the cost model, which switch={policy!r} in mode={mode!r} "
                                 "does not use (switch='adaptive' or mode='alternating' do)")
        if classical == "multigrid" and check_every is not None:
            raise ValueError("check_every= sets the stopping-check interval of jacobi and gauss_seidel; "
                             "multigrid checks after every cycle")
        omega = require_omega(omega)
        if classical != "jacobi" and omega != 1.0:
            raise ValueError(f"omega= is the weight of classical='jacobi'; classical={classical!r} does not take it")
        from ..solvers.deep_ritz import DeepRitz

        for name, value in (("dnn", dnn), ("correction_dnn", correction_dnn)):
            if value is not None and not isinstance(value, dict):
                raise ValueError(f"{name}= takes a dict of DeepRitz options (e.g. dict(widths=[1, 64, 1], lr=1e-3)); "
                                 f"got {type(value).__name__} {value!r}")
        seed = require_int("seed", seed, minimum=0)
        dnn = dict(dnn or {})
        dnn.setdefault("seed", seed)
        check_options(DeepRitz.__init__, dnn, "the hybrid's dnn=dict(...)")
        corr = dict(dnn)
        corr.update(correction_dnn or {})
        corr.setdefault("loss", "discrete_ritz")
        check_options(DeepRitz.__init__, corr, "the hybrid's correction_dnn=dict(...)")
        # the stopping rule validates target/reference now (unreachable targets fail here, with ε_disc)
        rule = StoppingRule.from_options(problem, rtol=rtol, atol=atol, target_error=target_error,
                                         reference=reference, maxiter=10**7 if maxiter is None else maxiter)
        if policy.oracle and rule.reference is None:
            raise ValueError("switch=Sweep is the Figure 4(d) oracle: it needs target_error= and a reference")
        observe_every = require_int("observe_every", observe_every, minimum=1, allow_none=True)
        copts = classical_options(classical, omega=omega,
                                  check_every=require_int("check_every", check_every, minimum=1, allow_none=True),
                                  rtol=rtol, atol=atol, target_error=target_error, reference=reference,
                                  monitor=monitor, observe_every=observe_every, progress=progress)
        history = History(meta={"method": "hybrid", "problem": problem.name, "classical": classical, "mode": mode,
                                **policy.describe(), "target_error": target_error})
        return cls(problem=problem, policy=policy, mode=mode, classical=classical, dnn=dnn, correction_dnn=corr,
                   target_error=target_error, rule=rule, maxiter=rule.maxiter,
                   max_dnn_steps=require_int("max_dnn_steps", 10**6 if max_dnn_steps is None else max_dnn_steps,
                                             minimum=0),
                   omega=omega, monitor=monitor, observe_every=observe_every, progress=progress,
                   disc_error=policy.disc_error if disc_error is None else disc_error,
                   t_sweep=require_positive("t_sweep", t_sweep, allow_none=True),
                   cycles=require_int("cycles", 10 if cycles is None else cycles, minimum=1),
                   smooth_sweeps=("auto" if smooth_sweeps in (None, "auto")
                                  else require_int("smooth_sweeps", smooth_sweeps, minimum=1)),
                   classical_opts=copts, history=history)

    # -- what the modes share ------------------------------------------------------------------------
    def measure(self):
        """The records' metrics (residual, and error norms with a reference), kernels compiled now."""
        m = Checker(self.rule).measure
        m(self.problem.initial_guess())
        return m

    def builder(self, problem, options: dict, model=None):
        """``build()`` for :func:`~hybridsolve.hybrid.phases.dnn_phase`: a new network, or ``model``
        retargeted to ``problem``."""
        from ..solvers.deep_ritz import DeepRitz

        def build():
            if model is None:
                return DeepRitz(problem, **options)
            model.retarget(problem)
            return model

        return build

    def step_cost(self, problem, options: dict):
        """``step_cost(budget)`` for the pre-flight: a lower bound on one step of ``DeepRitz(problem, **options)``."""
        from ..solvers.deep_ritz import step_cost_lower_bound

        return lambda budget: step_cost_lower_bound(problem, options, budget=budget)

    def cost_model(self):
        """The calibrated cost model and the seconds its calibration took."""
        return calibrated_cost_model(self.problem, self.classical, omega=self.omega, target_error=self.target_error,
                                     disc_error=self.disc_error, t_sweep=self.t_sweep)

    def run_classical(self, u0, *, time_offset: float, maxiter=None, history=None):
        return classical_phase(self.problem, self.classical, u0, history=self.history if history is None else history,
                               time_offset=time_offset, options=self.classical_opts,
                               maxiter=self.maxiter if maxiter is None else maxiter)

    def result(self, u, res, wall, iterations, info, history=None) -> SolveResult:
        history = self.history if history is None else history
        m = self.rule.measure(u)
        history.meta.update({k: v for k, v in info.items() if isinstance(v, (int, float, str, bool)) or v is None})
        return SolveResult(u=u, converged=bool(res.converged), iterations=int(iterations), wall_time=float(wall),
                           history=history, method="hybrid", reason=res.reason,
                           residual_norm=float(m["residual"]), error_inf=m.get("error_inf"), info=info)


def finite_or_none(x):
    """``float(x)`` if finite, else None (JSON-friendly numbers in ``info``)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def hybrid(problem, *, dnn=None, classical="jacobi", switch="adaptive", switch_at=None, mode="switch",
           target_error=None, rtol=None, atol=None, reference=None, maxiter=None, max_dnn_steps=None,
           omega=1.0, monitor=None, observe_every=None, check_every=None, progress=None, seed=0,
           disc_error=None, t_sweep=None, cycles=None, smooth_sweeps=None, correction_dnn=None) -> SolveResult:
    """DNN (Deep Ritz) for M steps, then a classical solver from its output (Xu et al. 2020, Fig. 4(d)).

    Options (keyword-only; every one is checked, and one the chosen mode or policy would not use raises):

    * ``dnn``: options of :class:`~hybridsolve.solvers.deep_ritz.DeepRitz` (``widths``, ``lr``, ``loss`` …).
    * ``classical``: ``"jacobi"`` (weight ``omega``), ``"gauss_seidel"`` or ``"multigrid"``.
    * ``switch``: ``"adaptive"`` (cost model, no reference), an int M or ``"fixed"`` + ``switch_at=M``,
      a list of Ms or ``"sweep"`` + ``switch_at=[...]`` (the Figure 4(d) oracle,
      :func:`~hybridsolve.hybrid.sweep_oracle`), or a policy object.
    * ``mode``: ``"switch"`` (one hand-off) or ``"alternating"`` (DNN corrections on ``A e = r`` between
      classical stints; ``cycles`` at most (10), stint length ``smooth_sweeps`` or ``"auto"``; the
      correction network takes ``dnn`` updated by ``correction_dnn``, loss ``"discrete_ritz"`` by default).
    * stopping: ``target_error`` on ‖u − u_ref‖∞ (``reference`` as in every solver), ``rtol``/``atol``,
      ``maxiter`` (classical sweeps), ``max_dnn_steps``.
    * cost model (adaptive policy, alternating mode): ``disc_error`` (``"richardson"`` estimate — the
      default, or the Adaptive policy's —, a number, or ``"exact"``), ``t_sweep`` (seconds per sweep;
      measured when None).
    * ``monitor``/``observe_every``: the shared monitor protocol, through both phases on the run's
      timeline; ``check_every``: the stopping-check interval of jacobi/gauss_seidel; ``progress``;
      ``seed`` (the DNN's, unless ``dnn`` has one).

    ``info``: ``time_dnn``, ``time_classical``, ``switch_step`` (M; 0 = classical alone),
    ``switch_reason``, ``dnn_steps``, ``classical_iterations``; adaptive: ``t_sweep``, ``t_step``,
    ``eps_disc_estimate``, ``adaptive_trace``; sweep: ``best_M``, ``sweep`` (table), ``curves``.

    >>> import hybridsolve as hs
    >>> hs.solve(hs.problems.paper_1d(n=64), "hybrid", classical="sor")
    Traceback (most recent call last):
    ...
    ValueError: unknown classical solver 'sor'; valid: jacobi, gauss_seidel, multigrid
    """
    from .modes import alternating_mode, switch_mode
    from .oracle import run_oracle

    run = HybridRun.from_options(
        problem, dnn=dnn, classical=classical, switch=switch, switch_at=switch_at, mode=mode,
        target_error=target_error, rtol=rtol, atol=atol, reference=reference, maxiter=maxiter,
        max_dnn_steps=max_dnn_steps, omega=omega, monitor=monitor, observe_every=observe_every,
        check_every=check_every, progress=progress, seed=seed, disc_error=disc_error, t_sweep=t_sweep,
        cycles=cycles, smooth_sweeps=smooth_sweeps, correction_dnn=correction_dnn)
    if run.policy.oracle:
        return run_oracle(run)
    return alternating_mode(run) if run.mode == "alternating" else switch_mode(run)

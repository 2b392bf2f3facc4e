"""The hybrid's modes: one hand-off (:func:`switch_mode`) and DNN corrections between classical
stints (:func:`alternating_mode`). Each takes a checked :class:`~hybridsolve.hybrid.run.HybridRun`
and returns the :class:`~hybridsolve.SolveResult`; times are on the run's one timeline.

>>> import hybridsolve as hs
>>> from hybridsolve.hybrid.run import HybridRun
>>> res = switch_mode(HybridRun.from_options(hs.problems.paper_1d(n=64), dnn=dict(widths=[1, 8, 1]),
...                                          switch=0, target_error=1e-2))
>>> res.converged, res.info["switch_step"], res.info["time_dnn"]
(True, 0, 0.0)
"""
from __future__ import annotations

import time

import numpy as np

from ..history import Record
from ..operators import residual
from .phases import DnnPhase, dnn_phase
from .run import finite_or_none

__all__ = ["switch_mode", "alternating_mode"]


def _dnn(run, policy, measure, *, time_offset, cost_model=None, train_on=None, options=None, model=None,
         **correction) -> DnnPhase:
    """The DNN phase of ``run`` under ``policy``: a network on ``train_on`` (default the run's problem) with
    ``options`` (default ``run.dnn``), or ``model`` retargeted; ``correction``: ``base``, ``scale``, ``phase``."""
    train_on = run.problem if train_on is None else train_on
    options = run.dnn if options is None else options
    return dnn_phase(run.problem, policy, run.builder(train_on, options, model), history=run.history,
                     measure=measure, max_steps=run.max_dnn_steps, time_offset=time_offset, cost_model=cost_model,
                     step_cost=run.step_cost(train_on, options), monitor=run.monitor,
                     observe_every=run.observe_every, progress=run.progress, **correction)


def _no_training(run, measure, u0, reason) -> DnnPhase:
    """A policy that switches before any training: the step-0 record, and the initial guess handed over."""
    run.history.append(Record("dnn", 0, 0.0, measure(u0)))
    return DnnPhase(u=u0, step=0, steps=0, reason=reason, end=0.0)


def adaptive_trace(records) -> list:
    """Every prediction of the phase's policy, from its records: step, time, sweeps, remaining, total, bound.

    >>> from hybridsolve.history import Record
    >>> adaptive_trace([Record("dnn", 0, 0.5, {"predicted_sweeps": 10.0, "predicted_remaining": 1.0,
    ...                                         "predicted_total": 1.5}), Record("dnn", 5, 0.7)])
    [{'step': 0, 'time': 0.5, 'sweeps': 10.0, 'remaining': 1.0, 'total': 1.5, 'bound': None}]
    """
    return [{"step": r.step, "time": r.time, "sweeps": r["predicted_sweeps"], "remaining": r["predicted_remaining"],
             "total": r["predicted_total"], "bound": r.get("error_bound")}
            for r in records if "predicted_sweeps" in r]


def switch_mode(run):
    """DNN phase under ``run.policy``, hand-off, classical phase to the stopping rule."""
    prob, pol = run.problem, run.policy
    measure = run.measure()
    cm, t_setup = run.cost_model() if pol.needs_cost_model else (None, 0.0)
    u0 = prob.initial_guess()
    info: dict = {}
    if not pol.trains:
        dnn = _no_training(run, measure, u0, f"fixed switch point M={pol.steps}: the classical solver alone")
    else:
        # the set-up (sweep timing, ε_disc estimate) counts in the DNN phase; importing torch does not
        from ..solvers import deep_ritz  # noqa: F401

        dnn = _dnn(run, pol, measure, time_offset=t_setup, cost_model=cm)
        model = dnn.model
        info.update(time_setup=float(t_setup), time_train=float(model.train_time) if model is not None else 0.0,
                    time_switch=dnn.check_seconds,
                    t_step=float(model.train_time / dnn.steps) if dnn.steps else None)
    res = run.run_classical(dnn.u, time_offset=dnn.end)
    info.update(time_dnn=float(dnn.end), time_classical=float(res.wall_time), switch_step=dnn.step,
                switch_reason=dnn.reason, dnn_steps=dnn.steps, classical_iterations=int(res.iterations),
                classical=run.classical, policy=pol.name, dnn_diverged=dnn.diverged is not None)
    if dnn.diverged:
        info["fallback"] = dnn.diverged
    if cm is not None:
        info.update(t_sweep=cm.t_sweep, eps_disc_estimate=cm.disc_error, eps_disc_source=cm.disc_error_source,
                    predicted_sweeps_at_switch=finite_or_none(cm.predict_sweeps(dnn.u)),
                    adaptive_trace=adaptive_trace(dnn.records))
    return run.result(res.u, res, dnn.end + res.wall_time, dnn.steps + int(res.iterations), info)


def _correction_problem(prob, u, scale):
    """``A e = r / scale`` with zero boundary values: the correction the network learns (O(1) by the scale)."""
    from ..problem import PoissonProblem

    rf = np.zeros(prob.grid.shape)
    rf[prob.grid.interior] = residual(prob, u) / scale
    return PoissonProblem(domain=prob.grid.bounds, n=prob.grid.n, source=rf, boundary=0.0,
                          name=f"{prob.name}:correction")


def alternating_mode(run):
    """DNN phase (the policy), then cycles of: classical smoothing, a DNN correction on ``A e = r``
    (its length, or none, decided by :meth:`~hybridsolve.hybrid.SwitchPolicy.correction_policy`),
    until the target, ``cycles``, or a correction that does not pay (then classical to the end).

    >>> import hybridsolve as hs
    >>> from hybridsolve.hybrid import Fixed
    >>> from hybridsolve.hybrid.run import HybridRun
    >>> run = HybridRun.from_options(hs.problems.paper_1d(n=64), dnn=dict(widths=[1, 8, 1]), switch=Fixed(5),
    ...                              mode="alternating", target_error=1e-2, t_sweep=1e-6, cycles=1)
    >>> res = alternating_mode(run)
    >>> res.converged, [e["kind"] for e in res.info["events"]][:2]
    (True, ['dnn', 'jacobi'])
    """
    prob, pol = run.problem, run.policy
    measure = run.measure()
    cm, t = run.cost_model()
    u0 = prob.initial_guess()
    time_classical = 0.0
    iterations = 0
    events = []
    diverged = None
    if not pol.trains:
        first = _no_training(run, measure, u0, "fixed M=0")
        first.end = t
    else:
        from ..solvers import deep_ritz  # noqa: F401

        first = _dnn(run, pol, measure, time_offset=t, cost_model=cm)
        diverged = first.diverged
        t = first.end
        iterations += first.steps
    u = first.u
    events.append({"kind": "dnn", "steps": first.step, "reason": first.reason, "time": t})
    corr_model = None
    res = None
    final = False
    for cycle in range(run.cycles + 1):
        # classical stint: until smooth (auto), or to the target once the DNN stops paying
        if final or cycle == run.cycles:
            stint = None
        elif run.smooth_sweeps == "auto":
            stint = max(1, cm.smoothing_sweeps(cm.error_spectrum(u)))
        else:
            stint = run.smooth_sweeps
        remaining = run.maxiter - iterations
        res = run.run_classical(u, time_offset=t, maxiter=remaining if stint is None else min(stint, remaining))
        t += res.wall_time
        time_classical += res.wall_time
        iterations += int(res.iterations)
        u = res.u
        events.append({"kind": run.classical, "sweeps": int(res.iterations), "reason": res.reason, "time": t})
        if res.converged or res.reason == "diverged" or stint is None or iterations >= run.maxiter:
            break
        # DNN correction on A e = r, scaled to O(1)
        t0 = time.perf_counter()
        scale = cm.error_bound(u)
        if not (scale > 0 and np.isfinite(scale)):
            final = True
            continue
        cprob = _correction_problem(prob, u, scale)
        t += time.perf_counter() - t0   # residual and scaling: DNN-phase cost
        cpol = pol.correction_policy()
        dec = _dnn(run, cpol, measure, time_offset=t, cost_model=cm, train_on=cprob, options=run.correction_dnn,
                   model=corr_model, base=u, scale=scale, phase="dnn_correction")
        corr_model = dec.model if dec.model is not None else corr_model
        diverged = diverged or dec.diverged
        t = dec.end
        iterations += dec.steps
        events.append({"kind": "correction", "steps": dec.steps, "used_step": dec.step, "reason": dec.reason,
                       "time": t})
        if dec.step == 0:
            final = True   # the correction did not pay: finish classically
        else:
            u = dec.u
    info = dict(time_dnn=float(t - time_classical), time_classical=float(time_classical), events=events,
                switch_step=first.step, switch_reason=first.reason, mode="alternating",
                corrections=sum(1 for e in events if e["kind"] == "correction" and e.get("used_step", 0) > 0),
                classical=run.classical, policy=pol.name, t_sweep=cm.t_sweep, eps_disc_estimate=cm.disc_error,
                dnn_diverged=diverged is not None)
    if diverged:
        info["fallback"] = diverged
    return run.result(u, res, t, iterations, info)

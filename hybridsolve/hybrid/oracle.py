"""The Figure 4(d) oracle: ONE training run with a snapshot at every M, the classical phase run from each
snapshot to the target, and the best M by the measured total. It needs a reference (it measures the
real error), so it is an experiment, not a method; the policy behind it is :class:`~hybridsolve.hybrid.Sweep`.

>>> import hybridsolve as hs
>>> res = sweep_oracle(hs.problems.paper_1d(n=64), [0, 10], dnn=dict(widths=[1, 8, 1]), target_error=1e-2)
>>> [row["M"] for row in res.info["sweep"]], res.info["best_M"] in (0, 10), sorted(res.info["curves"])
([0, 10], True, [0, 10])
"""
from __future__ import annotations

import math

from ..history import History
from .phases import dnn_phase
from .policies import Sweep
from .run import finite_or_none

__all__ = ["sweep_oracle", "run_oracle"]


def sweep_oracle(problem, Ms, **options):
    """``hs.solve(problem, "hybrid", switch=Sweep(Ms), **options)``: the oracle over the switch points ``Ms``.

    ``info``: ``best_M``, ``sweep`` (one row per M: ``time_dnn``, ``time_classical``, ``total``, ``sweeps``,
    ``converged``, ``reason``, ``error_inf``), ``curves`` (a History per M, on the run's timeline),
    ``dnn_history`` (the whole training run; it goes on past the last M to ``max_dnn_steps``),
    ``dnn_alone_reached`` / ``dnn_alone_time`` / ``dnn_alone_step`` (the first DNN record at the target).
    The result's ``history`` is the best M's: the DNN records up to it, then its classical curve.

    >>> import hybridsolve as hs
    >>> sweep_oracle(hs.problems.paper_1d(n=64), [0, 10], switch="adaptive")
    Traceback (most recent call last):
    ...
    ValueError: sweep_oracle takes the switch points Ms, not switch=
    """
    from .run import hybrid

    if "switch" in options or "switch_at" in options:
        raise ValueError("sweep_oracle takes the switch points Ms, not switch=")
    return hybrid(problem, switch=Sweep(Ms), **options)


def run_oracle(run):
    """The oracle for a checked :class:`~hybridsolve.hybrid.run.HybridRun` whose policy is a Sweep.

    >>> import hybridsolve as hs
    >>> from hybridsolve.hybrid.run import HybridRun
    >>> res = run_oracle(HybridRun.from_options(hs.problems.paper_1d(n=64), switch=[0], target_error=1e-2))
    >>> res.info["best_M"], res.info["dnn_steps"], res.history.phases
    (0, 0, ['dnn', 'jacobi'])
    """
    prob, pol = run.problem, run.policy
    measure = run.measure()
    Ms = pol.Ms
    last_M = Ms[-1]
    stop_at = max(last_M, run.max_dnn_steps if run.max_dnn_steps < 10**6 else last_M)
    snaps: dict = {}
    info: dict = {}
    diverged = None
    steps = 0
    t_dnn_total = 0.0
    if last_M > 0:
        from ..solvers import deep_ritz  # noqa: F401  (importing torch is a per-process cost)

        dnn = dnn_phase(prob, pol, run.builder(prob, run.dnn), history=run.history, measure=measure,
                        max_steps=stop_at, monitor=run.monitor, observe_every=run.observe_every,
                        progress=run.progress, snapshots=snaps)
        diverged, steps, t_dnn_total = dnn.diverged, dnn.steps, dnn.end
        info["t_step"] = float(dnn.model.train_time / steps) if steps and dnn.model is not None else None
    else:
        from ..history import Record

        u0 = prob.initial_guess()
        run.history.append(Record("dnn", 0, 0.0, measure(u0)))
        snaps[0] = (0.0, u0)
    dnn_hist = run.history.phase("dnn")
    alone = next((r for r in dnn_hist if r.step > 0 and r.data.get("error_inf", math.inf) <= run.target_error), None)
    curves: dict = {}
    table = []
    best = None
    for M in Ms:
        if M not in snaps:
            table.append({"M": M, "reached_by_dnn": False, "note": "not reached (DNN diverged or stopped early)"})
            continue
        t_M, uM = snaps[M]
        curves[M] = History(meta={"M": M, "time_dnn": t_M})
        res = run.run_classical(prob.apply_boundary(uM), time_offset=t_M, history=curves[M])
        total = t_M + res.wall_time
        table.append({"M": M, "time_dnn": t_M, "time_classical": res.wall_time, "total": total,
                      "sweeps": int(res.iterations), "converged": bool(res.converged), "reason": res.reason,
                      "error_inf": finite_or_none(res.error_inf)})
        if res.converged and (best is None or total < best[0]):
            best = (total, M, res)
    if best is None:   # nothing reached the target: report the first snapshot, classical phase not run
        M = Ms[0] if Ms[0] in snaps else 0
        t_M, uM = snaps.get(M, (0.0, prob.initial_guess()))
        res = run.run_classical(prob.apply_boundary(uM), time_offset=t_M, maxiter=0, history=History())
        best = (t_M + res.wall_time, M, res)
    total, best_M, res = best
    t_best = snaps[best_M][0] if best_M in snaps else 0.0
    history = History([r for r in run.history if r.phase != "dnn" or r.step <= best_M], run.history.meta)
    history.extend(curves.get(best_M, History()))
    info.update(best_M=int(best_M), switch_step=int(best_M), time_dnn=float(t_best),
                time_classical=float(res.wall_time), total_best=float(total), sweep=table, curves=curves,
                dnn_history=dnn_hist, dnn_steps=int(steps), dnn_alone_reached=alone is not None,
                dnn_alone_time=None if alone is None else alone.time,
                dnn_alone_step=None if alone is None else alone.step, time_dnn_total=float(t_dnn_total),
                policy="sweep", switch_reason=f"sweep oracle: best M={best_M} of {Ms} (total {total:.4g} s, measured)",
                classical=run.classical, dnn_diverged=diverged is not None)
    if diverged:
        info["fallback"] = diverged
    return run.result(res.u, res, total, int(best_M) + int(res.iterations), info, history=history)

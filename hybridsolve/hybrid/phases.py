"""The hybrid's two phases, both on the run's one History and timeline.

* :func:`dnn_phase` — :func:`hybridsolve.iteration.iterate` with a :class:`DnnStepper` (``advance(k)`` =
  ``k`` training steps, ``iterate()`` = the candidate hand-over iterate), the policy as controller
  and, for a policy that ``needs_spectrum``, :class:`hybridsolve.monitor.ErrorSpectrum` as annotator;
  its clock starts at ``time_offset``.
* :func:`classical_phase` — the classical solver with ``history=`` and ``time_offset=``, and only the
  options that solver takes (:func:`classical_options`).

The user's monitor is an observer of both; it is never shifted or wrapped.

>>> import hybridsolve as hs
>>> from hybridsolve.hybrid import Fixed
>>> from hybridsolve.iteration import Checker
>>> from hybridsolve.solvers.deep_ritz import DeepRitz
>>> from hybridsolve.stopping import StoppingRule
>>> p = hs.problems.paper_1d(n=64)
>>> h = hs.History()
>>> dnn = dnn_phase(p, Fixed(10), lambda: DeepRitz(p, widths=[1, 8, 1]), history=h, max_steps=100,
...                 measure=Checker(StoppingRule.from_options(p, target_error=1e-2)).measure)
>>> res = classical_phase(p, "jacobi", dnn.u, history=h, time_offset=dnn.end,
...                       options=classical_options("jacobi", target_error=1e-2))
>>> dnn.step, h.phases, res.converged, bool(h.phase("jacobi").times()[0] >= dnn.end)
(10, ['dnn', 'jacobi'], True, True)
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._util import Stopwatch
from ..history import Record
from ..iteration import iterate
from ..monitor.checks import ErrorSpectrum

__all__ = ["DnnStepper", "DnnPhase", "dnn_phase", "classical_options", "classical_phase"]


class DnnStepper:
    """The DNN phase's stepper for :func:`~hybridsolve.iteration.iterate`.

    ``build()`` makes the network (a :class:`~hybridsolve.solvers.deep_ritz.DeepRitz`, or one retargeted)
    on the first :meth:`advance`, so a policy that switches at step 0 never pays for one. The
    candidate is ``start`` at step 0; later the network's grid output with the problem's boundary
    values (``base=None``) or ``base + scale · output`` with the output zero on the boundary (a
    correction). Steps count from 0 in this phase. ``eval_seconds``: the last grid evaluation;
    ``last_finite``: ``(step, iterate)`` of the last finite candidate; ``nonfinite_step``: where the
    output first was not finite (None).

    >>> import hybridsolve as hs
    >>> from hybridsolve.solvers.deep_ritz import DeepRitz
    >>> p = hs.problems.paper_1d(n=32)
    >>> s = DnnStepper(p, lambda: DeepRitz(p, widths=[1, 8, 1]), start=p.initial_guess())
    >>> s.model is None, s.iterate() is s.start
    (True, True)
    >>> s.advance(3); s.steps, s.iterate().shape, sorted(s.extras())
    (3, (33,), ['loss'])
    """

    def __init__(self, problem, build, *, start, base=None, scale: float = 1.0, phase: str = "dnn"):
        self.problem, self.build, self.phase = problem, build, phase
        self.start = np.ascontiguousarray(start, dtype=float)
        self.base, self.scale = base, float(scale)
        self.model = None
        self.steps = 0
        self.eval_seconds = 0.0
        self.last_finite = (0, self.start)
        self.nonfinite_step = None
        self._first_done = None
        self._cached = (0, self.start)
        self._mask = problem.grid.boundary_mask()

    def advance(self, count: int) -> None:
        if self.model is None:
            self.model = self.build()
            self._first_done = self.model.steps_done
        try:
            self.model.step(count)
        finally:
            self.steps = self.model.steps_done - self._first_done

    def iterate(self) -> np.ndarray:
        if self._cached[0] == self.steps:
            return self._cached[1]
        t0 = time.perf_counter()
        raw = np.asarray(self.model.grid_values(), dtype=float)
        if self.base is None:
            u = self.problem.apply_boundary(raw)
        else:
            v = raw.copy()
            v[self._mask] = 0.0
            u = self.base + self.scale * v
        u = np.ascontiguousarray(u)
        self.eval_seconds = time.perf_counter() - t0
        if np.all(np.isfinite(u)):
            self.last_finite = (self.steps, u)
        elif self.nonfinite_step is None:
            self.nonfinite_step = self.steps
        self._cached = (self.steps, u)
        return u

    def extras(self) -> dict:
        return {} if self.model is None or self.steps == 0 else {"loss": float(self.model.last_loss)}


class _Budget:
    """The DNN phase's stopping rule: its step budget, and "diverged" for a non-finite iterate
    (the policy decides everything else)."""

    def __init__(self, maxiter: int):
        self.maxiter = int(maxiter)

    def reason(self, metrics: dict, iteration: int):
        if not np.isfinite(metrics.get("residual", 0.0)):
            return "diverged"
        return "maxiter" if iteration >= self.maxiter else None


class _Recorder:
    """Observer: a record of the iterate at every observation that is not also a check (the DNN curve
    between checks); a non-finite output stops the run."""

    def __init__(self, history, measure, stepper: DnnStepper):
        self.history, self.measure, self.stepper = history, measure, stepper

    def observe(self, u, *, phase, step, time):
        last = self.history.last
        if last is not None and last.phase == phase and last.step == step:
            return None
        if self.stepper.nonfinite_step is not None:
            return True
        data = dict(self.measure(u))
        data.update(self.stepper.extras())
        self.history.append(Record(phase, step, time, data))
        return None


class _Control:
    """The policy as the loop's controller: the check-time spectrum leaves the record once the policy has
    decided (the History keeps the scalars), and with ``snapshots`` every kept iterate is collected."""

    def __init__(self, policy, stepper: DnnStepper, snapshots: dict | None):
        self.policy, self.stepper, self.snapshots = policy, stepper, snapshots

    def decide(self, record, history):
        d = self.policy.decide(record, history)
        record.data.pop(ErrorSpectrum.key, None)
        if d.keep and self.snapshots is not None:
            self.snapshots[record.step] = (record.time, self.stepper.iterate().copy())
        return d


@dataclass
class DnnPhase:
    """What :func:`dnn_phase` returns: the hand-over iterate ``u`` (boundary values imposed) and its
    ``step`` (0: the start), ``steps`` trained, ``reason``, the phase's ``end`` on the run's timeline,
    the ``model`` (None if never built), the phase's check ``records``, and ``diverged`` (the fallback
    message, or None).

    >>> import numpy as np
    >>> DnnPhase(u=np.zeros(3), step=0, steps=0, reason="fixed M=0", end=0.0).check_seconds
    0.0
    """

    u: np.ndarray
    step: int
    steps: int
    reason: str
    end: float
    model: object = None
    records: list = field(default_factory=list)
    diverged: str | None = None

    @property
    def check_seconds(self) -> float:
        """Seconds of the phase's checks: grid evaluations, spectra and decisions."""
        return float(sum(r.data.get("check_seconds", 0.0) for r in self.records))


def dnn_phase(problem, policy, build, *, history, measure, max_steps: int, start=None, time_offset: float = 0.0,
              base=None, scale: float = 1.0, phase: str = "dnn", cost_model=None, step_cost=None, monitor=None,
              observe_every=None, progress=None, snapshots: dict | None = None) -> DnnPhase:
    """Train under ``policy`` (started here with ``cost_model``, ``max_steps``, ``step_cost``) until it
    switches or ``max_steps``; returns the :class:`DnnPhase`.

    ``build()`` makes the network; ``measure(u) -> dict`` the records' metrics (residual and error
    norms); ``start`` the step-0 candidate (default ``problem.initial_guess()``; ``base`` for a
    correction ``base + scale · output``). ``observe_every``: the user's ``monitor`` sees the iterate
    (and the History records it) every so many steps, besides the checks. ``snapshots``: a dict that
    receives ``{step: (time, iterate)}`` for every iterate the policy keeps. A diverging network (a
    FloatingPointError, or a non-finite output) warns and hands over the last finite iterate.

    >>> import hybridsolve as hs
    >>> from hybridsolve.hybrid import Sweep
    >>> from hybridsolve.iteration import Checker
    >>> from hybridsolve.solvers.deep_ritz import DeepRitz
    >>> from hybridsolve.stopping import StoppingRule
    >>> p = hs.problems.paper_1d(n=32)
    >>> snaps = {}
    >>> dnn = dnn_phase(p, Sweep([0, 4]), lambda: DeepRitz(p, widths=[1, 8, 1]), history=hs.History(), max_steps=6,
    ...                 measure=Checker(StoppingRule.from_options(p)).measure, snapshots=snaps)
    >>> sorted(snaps), dnn.steps, dnn.reason
    ([0, 4], 6, 'max_dnn_steps=6 reached')
    """
    if start is None:
        start = problem.initial_guess() if base is None else base
    stepper = DnnStepper(problem, build, start=start, base=base, scale=scale, phase=phase)
    spectrum = ErrorSpectrum(problem) if policy.needs_spectrum else None

    def annotate(u, record):
        t0 = time.perf_counter()
        if spectrum is not None:
            spectrum(u, record)
        record.data["check_seconds"] = stepper.eval_seconds + (time.perf_counter() - t0)

    policy.start(cost_model=cost_model, max_steps=max_steps, step_cost=step_cost)
    observers = [_Recorder(history, measure, stepper)] if observe_every else None
    out = iterate(stepper, _Budget(max_steps), history=history, check_every=1, callback=observers,
                  monitor=monitor, observe_every=observe_every or 2**62,
                  controller=_Control(policy, stepper, snapshots), annotate=annotate, measure=measure,
                  clock=Stopwatch(offset=time_offset), progress=progress, unit="step")
    for r in out.records:   # checks the policy did not decide (a diverged iterate) keep no spectrum either
        r.data.pop(ErrorSpectrum.key, None)
    end = time_offset + out.wall
    diverged = None
    if out.reason == "diverged" or stepper.nonfinite_step is not None:
        step, u = stepper.last_finite
        why = (f"the DNN diverged after step {out.steps} ({out.error})" if out.error is not None else
               f"the DNN diverged: its output is not finite at step {stepper.nonfinite_step}")
        diverged = f"{why}; falling back to the classical phase from the last finite iterate (DNN step {step})"
        warnings.warn(diverged, RuntimeWarning, stacklevel=3)
        reason = diverged
    else:
        step, u = out.kept if out.kept is not None else (out.steps, out.u)
        if out.decision is not None and out.decision.stop:
            reason = out.reason
        elif out.reason == "maxiter":
            reason = f"max_dnn_steps={max_steps} reached"
        else:
            reason = f"stopped by an observer ({out.reason})"
    return DnnPhase(u=problem.apply_boundary(u), step=int(step), steps=int(stepper.steps), reason=reason, end=end,
                    model=stepper.model, records=list(out.records), diverged=diverged)


def classical_options(classical: str, *, omega: float = 1.0, check_every=None, rtol=None, atol=None,
                      target_error=None, reference=None, monitor=None, observe_every=None, progress=None) -> dict:
    """The options the hybrid passes to ``classical``, chosen per solver: the stopping rule and the
    observers for all; ``omega`` for Jacobi; ``check_every`` for Jacobi and Gauss–Seidel (multigrid
    checks every cycle).

    >>> sorted(classical_options("multigrid", target_error=1e-3))
    ['atol', 'monitor', 'observe_every', 'progress', 'reference', 'rtol', 'target_error']
    >>> sorted(set(classical_options("jacobi")) - set(classical_options("gauss_seidel")))
    ['omega']
    """
    opts = dict(rtol=rtol, atol=atol, target_error=target_error, reference=reference, monitor=monitor,
                observe_every=observe_every, progress=progress)
    if classical in ("jacobi", "gauss_seidel"):
        opts["check_every"] = check_every
    if classical == "jacobi":
        opts["omega"] = omega
    return opts


def classical_phase(problem, classical: str, u0, *, history, time_offset: float, options: dict, maxiter=None):
    """Run ``classical`` from ``u0``, recording into ``history`` at times after ``time_offset``;
    returns its :class:`~hybridsolve.SolveResult` (``wall_time``: this phase's seconds).

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=64)
    >>> h = hs.History()
    >>> res = classical_phase(p, "multigrid", p.initial_guess(), history=h, time_offset=2.0,
    ...                       options=classical_options("multigrid", rtol=1e-8))
    >>> res.converged, bool(h.times().min() >= 2.0)
    (True, True)
    """
    from ..solvers import method_function

    return method_function(classical)(problem, u0=u0, history=history, time_offset=time_offset, maxiter=maxiter,
                                      **options)

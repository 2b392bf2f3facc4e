"""The one iteration loop: every iterative solver and trainer runs through :func:`iterate`.

A solver supplies a :class:`Stepper` (it *acts*: ``advance(count)`` does ``count`` steps of work,
``iterate()`` returns the current full-grid iterate). The loop owns everything else, in one place:

* the **clock** (a :class:`~hybridsolve._util.Stopwatch`): solver seconds on the run's timeline, observation paused out of
  it; an ``offset`` places a phase after earlier ones (the hybrid), so no monitor is ever shifted;
* the **checks**: every ``check_every`` steps (and at the step budget) it measures the iterate
  (residual and error norms, by default through the Numba :class:`Checker`), appends one
  :class:`~hybridsolve.history.Record` to the run's single :class:`~hybridsolve.History` and asks the
  :class:`~hybridsolve.stopping.StoppingRule` whether to stop;
* the **control path**: ``annotate`` hooks add to the check's record (the monitor's error spectrum),
  then a ``controller`` (a switch policy) decides from records only, ``decide(record, history) ->``
  :class:`Decision` (stop, keep this iterate as a snapshot, when to check next);
* the **observers**: every ``observe_every`` steps, at the start and at the end, each observer sees
  the iterate (:func:`as_observers`: a :class:`~hybridsolve.SpectralMonitor` or any object with
  ``observe(u, *, phase, step, time)``, or a plain callable ``callback(xk)`` as in SciPy — returning
  ``True`` stops the run with reason ``"callback"``). Observation time is not solver time.

The loop is the model of py-pde's controller (trackers observe, interrupts decide) with SciPy's
single stopping convention.

>>> import numpy as np, hybridsolve as hs
>>> from hybridsolve.stopping import StoppingRule
>>> p = hs.problems.paper_1d(n=64)
>>> class Damp:                                    # a toy stepper: the error halves per step
...     phase = "toy"
...     def __init__(self): self.u = np.zeros(p.grid.shape)
...     def advance(self, count):
...         for _ in range(count): self.u += 0.5 * (p.discrete_solution() - self.u)
...     def iterate(self): return self.u
>>> seen = []
>>> out = iterate(Damp(), StoppingRule.from_options(p, rtol=1e-6, maxiter=100), history=hs.History(),
...               callback=lambda xk: seen.append(xk.copy()))
>>> out.reason, out.steps, len(seen) == out.steps + 1
('rtol', 20, True)
"""
from __future__ import annotations

import inspect
import math
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from ._util import Stopwatch, progress_bar
from .history import History, Record

__all__ = ["initial_iterate", "run_history", "Stepper", "Decision", "Outcome", "Checker", "as_observers",
           "check_monitor", "recording_residuals", "iterate"]


class Stepper(Protocol):
    """What a solver hands the loop. ``phase`` names its records; ``advance(count)`` does ``count``
    steps in place; ``iterate()`` is the current full-grid iterate (boundary included). Optional:
    ``extras() -> dict`` (added to every check's record, e.g. the training loss)."""

    phase: str

    def advance(self, count: int) -> None: ...

    def iterate(self) -> np.ndarray: ...


@dataclass
class Decision:
    """What a controller says at a check: ``stop`` now (with ``reason``); ``keep`` this check's
    iterate as the run's snapshot (:attr:`Outcome.kept`); ``next_check``: the step of the next check
    (None: the loop's ``check_every``)."""

    stop: bool = False
    reason: str = ""
    keep: bool = False
    next_check: int | None = None


@dataclass
class Outcome:
    """What :func:`iterate` returns. ``steps``: steps taken in this run; ``reason``: a stopping-rule
    reason (``"rtol"``, ``"atol"``, ``"target_error"``, ``"maxiter"``, ``"diverged"``), ``"callback"``,
    or the controller's ``Decision.reason``; ``wall``: the clock's running seconds (offset excluded);
    ``kept``: ``(step, iterate copy)`` of the last check a controller asked to keep, else None;
    ``error``: the message of a FloatingPointError raised by the stepper (then reason is "diverged")."""

    u: np.ndarray
    steps: int
    reason: str
    metrics: dict
    wall: float
    converged: bool
    decision: Decision | None = None
    kept: tuple | None = None
    error: str | None = None
    records: list = field(default_factory=list)


class Checker:
    """Fast stopping metrics for a :class:`~hybridsolve.stopping.StoppingRule`: the residual norm and,
    with a reference, ``error_inf`` / ``error_l2``, through Numba kernels without NumPy temporaries
    (the same numbers as ``rule.measure(u)`` up to rounding).

    >>> import hybridsolve as hs
    >>> from hybridsolve.stopping import StoppingRule
    >>> p = hs.problems.paper_1d(n=64)
    >>> rule = StoppingRule.from_options(p, target_error=0.1)
    >>> m, ref = Checker(rule).measure(p.initial_guess()), rule.measure(p.initial_guess())
    >>> abs(m["residual"] - ref["residual"]) < 1e-9 * ref["residual"], m["error_inf"] == ref["error_inf"]
    (True, True)
    """

    def __init__(self, rule):
        from . import kernels

        self.rule = rule
        grid = rule.problem.grid
        self._sumsq = kernels.residual_sumsq(grid.dim, kernels.use_parallel(grid.shape))
        self._diff_norms = kernels.diff_norms
        self._f = np.ascontiguousarray(rule.problem.f, dtype=np.float64)
        self._ih = tuple(1.0 / hd**2 for hd in grid.h)
        self._cell = float(np.prod(grid.h))

    def residual(self, u) -> float:
        return math.sqrt(self._sumsq(u, self._f, *self._ih))

    def measure(self, u) -> dict:
        out = {"residual": self.residual(u)}
        if self.rule.reference is not None:
            mx, ss = self._diff_norms(u, self.rule.reference)
            out["error_inf"] = mx
            out["error_l2"] = math.sqrt(self._cell * ss)
        return out


def recording_residuals(measure: Callable, residuals) -> Callable:
    """``measure`` with PyAMG's ``residuals=`` hook: the list is emptied now, and every check then
    appends its ‖b − A u‖₂ (``metrics["residual"]``) to it, the start first. ``residuals=None``
    returns ``measure`` itself; anything but a list is refused.

    >>> out = []
    >>> m = recording_residuals(lambda u: {"residual": float(u)}, out)
    >>> _ = m(3.0), m(1.5)
    >>> out
    [3.0, 1.5]
    >>> recording_residuals(len, ())
    Traceback (most recent call last):
    ...
    ValueError: residuals must be a list (it is filled with ‖b − A u‖₂ at every check, as PyAMG's solve(residuals=[]) does); got tuple ()
    """
    if residuals is None:
        return measure
    if not isinstance(residuals, list):
        raise ValueError("residuals must be a list (it is filled with ‖b − A u‖₂ at every check, as PyAMG's "
                         f"solve(residuals=[]) does); got {type(residuals).__name__} {residuals!r}")
    residuals.clear()

    def measured(u):
        metrics = measure(u)
        residuals.append(float(metrics["residual"]))
        return metrics

    return measured


def initial_iterate(problem, u0, name: str = "u0") -> np.ndarray:
    """A fresh C-contiguous float64 start: ``u0`` (checked: shape, finite) with the boundary values imposed."""
    if u0 is None:
        return np.ascontiguousarray(problem.initial_guess(), dtype=np.float64)
    try:
        arr = np.asarray(u0)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be a real array of the full grid shape {problem.grid.shape}; "
                         f"got {type(u0).__name__}") from None
    if arr.shape != problem.grid.shape:
        raise ValueError(f"{name} has shape {arr.shape}; expected the full grid {problem.grid.shape} (boundary included)")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real array; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has {int(np.count_nonzero(~np.isfinite(arr)))} non-finite value(s)")
    return np.ascontiguousarray(problem.apply_boundary(arr))


def run_history(history, meta: dict) -> History:
    """The History a solver records into: a new one with ``meta``, or the caller's (one History per
    run, across phases), its meta filled with ``meta`` where it has no such key yet.

    >>> h = run_history(None, {"method": "jacobi"}); h.meta
    {'method': 'jacobi'}
    >>> run_history(h, {"method": "multigrid", "omega": 1.0}).meta
    {'method': 'jacobi', 'omega': 1.0}
    """
    if history is None:
        return History(meta=dict(meta))
    if not isinstance(history, History):
        raise ValueError(f"history must be a hybridsolve.History to record into; got {type(history).__name__}")
    for k, v in meta.items():
        history.meta.setdefault(k, v)
    return history


class _CallableObserver:
    """A plain ``callback(xk)`` (SciPy's meaning) as an observer; a True return asks to stop."""

    def __init__(self, func):
        self.func = func

    def observe(self, u, *, phase, step, time):
        return self.func(u)


def as_observers(callback=None, monitor=None) -> list:
    """The one callback convention: ``callback`` is a callable ``f(xk)``, an observer (an object with
    ``observe(u, *, phase, step, time)``, e.g. a SpectralMonitor), or a list of these; ``monitor`` is
    one more observer (kept for the public ``monitor=`` option). Returns a list of observers.

    >>> obs = as_observers(print, monitor=None)
    >>> len(obs), hasattr(obs[0], "observe")
    (1, True)
    >>> as_observers(42)
    Traceback (most recent call last):
    ...
    ValueError: callback must be a callable f(xk), an object with observe(u, *, phase, step, time), or a list of these; got 42
    """
    items = []
    for c in ([] if callback is None else list(callback) if isinstance(callback, (list, tuple)) else [callback]):
        items.append(c)
    if monitor is not None:
        if not callable(getattr(monitor, "observe", None)):
            raise ValueError(f"monitor must have an observe(u, *, phase, step, time) method (e.g. a "
                             f"hybridsolve.SpectralMonitor); got {monitor!r}")
        items.append(monitor)
    out = []
    for c in items:
        if callable(getattr(c, "observe", None)):
            out.append(c)
        elif callable(c):
            out.append(_CallableObserver(c))
        else:
            raise ValueError("callback must be a callable f(xk), an object with observe(u, *, phase, step, time), "
                             f"or a list of these; got {c!r}")
    return out


def check_monitor(monitor, problem, name: str = "monitor"):
    """``monitor`` for a run on ``problem``: None, or an observer (``observe(u, *, phase, step, time)``) —
    and, where it tells its grid (a :class:`~hybridsolve.SpectralMonitor`), the problem's grid. Else ValueError.

    >>> import hybridsolve as hs
    >>> check_monitor(object(), hs.problems.paper_1d(n=16))
    Traceback (most recent call last):
    ...
    ValueError: monitor must be an observer with an observe(u, *, phase, step, time) method (e.g. hs.SpectralMonitor(problem)) or None; got a 'object' object
    """
    if monitor is None:
        return None
    if not callable(getattr(monitor, "observe", None)):
        shown = repr(monitor) if len(repr(monitor)) <= 60 and not repr(monitor).startswith("<") else f"a {type(monitor).__name__!r} object"
        raise ValueError(f"{name} must be an observer with an observe(u, *, phase, step, time) method "
                         f"(e.g. hs.SpectralMonitor(problem)) or None; got {shown}")
    grid = getattr(monitor, "grid", None)
    theirs = getattr(grid, "shape", None)
    if theirs is not None and tuple(theirs) != tuple(problem.grid.shape):
        raise ValueError(f"{name} was built for a grid of shape {tuple(theirs)}, but the problem's grid is "
                         f"{problem.grid.shape}; build the monitor from the problem you solve: hs.SpectralMonitor(problem)")
    return monitor


def _converged(reason) -> bool:
    return reason in ("rtol", "atol", "target_error", "direct")


def iterate(stepper, rule, *, history: History, check_every: int = 1, callback=None, monitor=None,
            observe_every: int | None = None, controller=None, annotate: Callable | None = None,
            measure: Callable | None = None, clock: Stopwatch | None = None, timed_checks: bool = True,
            start_step: int = 0, initial_check: bool = True, progress=None, unit: str = "it") -> Outcome:
    """Run ``stepper`` until ``rule`` (or the controller, or a callback) stops it; see the module doc.

    ``rule``: a :class:`~hybridsolve.stopping.StoppingRule` (its ``maxiter`` is the step budget of this
    run). ``check_every``: steps between checks. ``callback``/``monitor``: observers (:func:`as_observers`),
    shown the iterate every ``observe_every`` steps (default ``check_every``), at the start and at the
    end. ``controller``: an object with ``decide(record, history) -> Decision``, asked at every check
    after ``annotate(u, record)`` has added what it needs. ``measure(u) -> dict``: the check's metrics
    (default: :class:`Checker`). ``clock``: the run's clock (a fresh one by default; pass one with an
    ``offset`` to continue a timeline). ``timed_checks=False`` leaves the checks out of the clock (a
    trainer whose own steps are what it reports). ``start_step``: the step number of the first record; ``initial_check=False`` skips the check and
    the observation at the start (a resumed run whose history already holds that step).
    """
    observers = as_observers(callback, monitor)
    check_every = max(1, int(check_every))
    observe_every = check_every if observe_every is None else max(1, int(observe_every))
    measure = Checker(rule).measure if measure is None else measure
    extras = getattr(stepper, "extras", None)
    phase = stepper.phase
    maxiter = int(rule.maxiter)
    clock = Stopwatch() if clock is None else clock
    records: list = []
    state = {"decision": None, "kept": None, "next_check": None, "last_obs": None, "start": None}
    try:
        takes_start = "start" in inspect.signature(rule.reason).parameters
    except (TypeError, ValueError):
        takes_start = False

    def check(it: int) -> tuple[dict, str | None]:
        ctx = clock.paused() if not timed_checks else nullcontext()
        with ctx:
            u = stepper.iterate()
            metrics = measure(u)
            data = dict(metrics)
            if extras is not None:
                data.update(extras())
            rec = Record(phase, start_step + it, clock.now, data)
            if annotate is not None:
                annotate(u, rec)
            history.append(rec)
            records.append(rec)
            if state["start"] is None:
                state["start"] = dict(metrics)   # divergence is measured against the run's first check
            reason = rule.reason(metrics, it, start=state["start"]) if takes_start else rule.reason(metrics, it)
            if controller is not None and reason in (None, "maxiter"):
                d = controller.decide(rec, history)
                state["decision"] = d
                if d.keep:
                    state["kept"] = (start_step + it, np.array(u, dtype=float, copy=True))
                if d.stop:
                    reason = d.reason or "controller"
                if d.next_check is not None:
                    state["next_check"] = max(int(d.next_check) - start_step, it + 1)
                else:
                    state["next_check"] = after(it, check_every)
            else:
                state["next_check"] = after(it, check_every)
        return metrics, reason

    def after(it: int, every: int) -> int:
        """The next step past ``it`` whose absolute number (``start_step + it``) is a multiple of ``every``."""
        return ((start_step + it) // every + 1) * every - start_step

    def observe(it: int, reason, *, force: bool = False):
        if not observers or reason == "diverged" or not (force or (start_step + it) % observe_every == 0):
            return None
        stop = None
        with clock.paused():
            u = stepper.iterate()
            t = clock.now
            for ob in observers:
                said = ob.observe(u, phase=phase, step=start_step + it, time=t)
                if isinstance(said, (bool, np.bool_)) and said:   # only a boolean True stops (not any truthy value)
                    stop = "callback"
        state["last_obs"] = it
        return stop

    it = 0
    error = None
    state["next_check"] = after(0, check_every)
    # the bar before the clock: making the first one imports tqdm (tens of ms, once per process),
    # which is not solver work
    bar = progress_bar(total=maxiter, desc=phase, progress=progress, unit=unit)
    if timed_checks:
        clock.start()
    if initial_check:
        metrics, reason = check(0)
        reason = reason or observe(0, reason, force=True)
    else:
        metrics, reason = {}, (None if maxiter > 0 else "maxiter")
        state["last_obs"] = 0
    clock.start()
    try:
        while reason is None:
            nxt = min(state["next_check"], maxiter)
            if observers:
                nxt = min(nxt, after(it, observe_every))
            try:
                stepper.advance(nxt - it)
            except FloatingPointError as exc:
                error, reason = str(exc), "diverged"
                break
            done, it = nxt - it, nxt
            if it >= state["next_check"] or it >= maxiter:
                metrics, reason = check(it)
            reason = reason or observe(it, reason)
            if bar.disable is False:
                with clock.paused():
                    bar.update(done)
    finally:
        bar.close()
    wall = clock.stop()
    if observers and state["last_obs"] != it and reason != "diverged":
        observe(it, reason, force=True)
    return Outcome(u=stepper.iterate(), steps=it, reason=reason, metrics=metrics, wall=wall,
                   converged=_converged(reason), decision=state["decision"], kept=state["kept"], error=error,
                   records=records)

"""Switch policies: controllers of the DNN phase, ``decide(record, history) -> Decision``.

The DNN phase runs in :func:`hybridsolve.iteration.iterate`; at every check the loop builds a
:class:`~hybridsolve.history.Record` (error norms, the loss, ``check_seconds``; with a policy that
``needs_spectrum``, the error spectrum ``error_hat`` and ``error_bound`` from
:class:`hybridsolve.monitor.ErrorSpectrum`) and asks the policy. A policy reads the record (its
``time`` on the run's timeline, its data) and answers with the engine's
:class:`~hybridsolve.iteration.Decision`: ``stop`` (switch now, with ``reason``), ``keep`` (this
iterate is the best hand-over candidate so far: the engine keeps a copy), ``next_check``. It writes its
reasoning into ``record.data``; the phase hands over the last iterate kept (or the current one).

* :class:`Fixed` ``(M)`` — hand over after exactly ``M`` DNN steps (``M = 0``: the classical solver alone).
* :class:`Sweep` ``(Ms)`` — the oracle of Figure 4(d): keep a snapshot at every ``M`` of one training
  run (run by :func:`hybridsolve.hybrid.sweep_oracle`, which runs the classical phase from each).
* :class:`Adaptive` — online, without a reference, from the spectral cost model.

>>> import hybridsolve as hs
>>> from hybridsolve.history import History, Record
>>> pol = Fixed(20)
>>> pol.decide(Record("dnn", 0, 0.0), History()), pol.decide(Record("dnn", 20, 1.0), History()).stop
(Decision(stop=False, reason='', keep=False, next_check=20), True)
"""
from __future__ import annotations

import math
import time
from collections import deque
from typing import NamedTuple

import numpy as np

from .._util import require_int, require_range
from ..iteration import Decision

__all__ = ["Decision", "SwitchPolicy", "Fixed", "Sweep", "Adaptive", "make_policy"]

_NEVER = 2**62   # "no further check of my own": the phase's step budget ends the run


def reject_unknown(unknown: dict, valid, what: str) -> None:
    """ValueError naming the unknown options of ``what`` and listing the valid ones (none: no-op).

    >>> reject_unknown({"patince": 1}, ["patience", "confirm"], "Adaptive")
    Traceback (most recent call last):
    ...
    ValueError: unknown option(s) 'patince' for Adaptive; valid options: confirm, patience
    """
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(map(repr, sorted(unknown)))} for {what}; "
                         f"valid options: {', '.join(sorted(valid))}")


class SwitchPolicy:
    """Base class. The phase calls :meth:`start` once per run, then :meth:`decide` at every check.

    Class attributes say what a policy needs from the hybrid: ``needs_cost_model`` (a
    :class:`~hybridsolve.hybrid.CostModel` with a measured ``t_sweep``), ``needs_spectrum`` (the error
    spectrum in every check's record), ``needs_target`` (``target_error=``), ``oracle`` (every
    snapshot and a reference: run by :func:`~hybridsolve.hybrid.sweep_oracle`).

    >>> SwitchPolicy().describe()
    {'policy': 'policy'}
    """

    name = "policy"
    needs_cost_model = False
    needs_spectrum = False
    needs_target = False
    oracle = False
    disc_error = "richardson"

    @property
    def trains(self) -> bool:
        """False if the policy switches before any training (the phase is skipped)."""
        return True

    def start(self, *, cost_model=None, max_steps=None, step_cost=None) -> None:
        """Reset for a new run. ``max_steps``: the step budget; ``step_cost(budget) -> (seconds, points)``:
        a lower bound on one DNN step's cost, measured without building the network."""
        self.cost_model = cost_model
        self.max_steps = max_steps
        self.step_cost = step_cost

    def decide(self, record, history) -> Decision:
        raise NotImplementedError

    def correction_policy(self) -> "SwitchPolicy":
        """The policy of the alternating mode's correction phases (how long to train a correction)."""
        return Adaptive()

    def describe(self) -> dict:
        return {"policy": self.name}


class Fixed(SwitchPolicy):
    """Hand over after exactly ``steps`` DNN steps (``0``: the classical solver alone).

    >>> Fixed(-1)
    Traceback (most recent call last):
    ...
    ValueError: Fixed(steps) must be >= 0; got -1
    """

    name = "fixed"

    def __init__(self, steps: int, **unknown):
        reject_unknown(unknown, ("steps",), "Fixed")
        self.steps = require_int("Fixed(steps)", steps, minimum=0)

    @property
    def trains(self) -> bool:
        return self.steps > 0

    def decide(self, record, history) -> Decision:
        if record.step >= self.steps:
            reason = f"fixed switch point M={self.steps} reached"
            record.data["switch_reason"] = reason
            return Decision(stop=True, reason=reason, keep=True)
        return Decision(next_check=self.steps)

    def describe(self):
        return {"policy": "fixed", "M": self.steps}

    def __repr__(self):
        return f"Fixed({self.steps})"


class Sweep(SwitchPolicy):
    """The Figure 4(d) oracle: keep a snapshot at every ``M`` in ``Ms`` of ONE training run (checks only
    there; ``record["snapshot"] = True``), never stopping: training goes on to the phase's step budget
    (the DNN-alone curve). :func:`~hybridsolve.hybrid.sweep_oracle` runs the classical phase from each
    snapshot. Needs a reference (it measures the real error), so it is an experiment, not a method.

    >>> Sweep([300, 0, 100]).Ms
    [0, 100, 300]
    >>> Sweep([])
    Traceback (most recent call last):
    ...
    ValueError: Sweep(Ms) needs at least one switch point M >= 0; got []
    """

    name = "sweep"
    needs_target = True
    oracle = True

    def __init__(self, Ms, **unknown):
        reject_unknown(unknown, ("Ms",), "Sweep")
        try:
            Ms = sorted({require_int("Sweep(Ms) entry", m, minimum=0) for m in Ms})
        except TypeError:
            raise ValueError(f"Sweep(Ms) needs a list of whole numbers >= 0; got {Ms!r}") from None
        if not Ms:
            raise ValueError("Sweep(Ms) needs at least one switch point M >= 0; got []")
        self.Ms = Ms

    def decide(self, record, history) -> Decision:
        keep = record.step in self.Ms
        if keep:
            record.data["snapshot"] = True
        later = [m for m in self.Ms if m > record.step]
        return Decision(keep=keep, next_check=later[0] if later else _NEVER)

    def describe(self):
        return {"policy": "sweep", "Ms": list(self.Ms)}

    def __repr__(self):
        return f"Sweep({self.Ms})"


class _Point(NamedTuple):
    """One priced check: switching at ``step`` (record time ``time``) leaves ``sweeps`` classical sweeps,
    ``remaining`` seconds of them, ``total`` = time + remaining on the run's timeline."""

    step: int
    time: float
    sweeps: float
    remaining: float
    total: float


class Adaptive(SwitchPolicy):
    """Online switch point from the spectral cost model — no reference solution.

    At its first check (step 0: the initial guess) it prices the classical solver alone; at each
    check it prices switching now, ``T(m) = T_dnn(m) + N(u_m) t_sweep``, from ``record["error_hat"]``
    and ``record.time``. It keeps (``keep=True``) the snapshot with the smallest predicted remaining
    cost ``N(u) t_sweep`` (time already spent is sunk) and switches when

    * ``N(u_m) = 0``: the DNN alone has reached the target (predicted);
    * the DNN time since the best predicted total exceeds ``patience`` × the classical work predicted
      there (the prediction stopped falling; more training can at best save that classical work,
      so at most ``patience`` of it is spent on trying, which also bounds the waste by ``patience``
      of the best total). "Best" is the best total that held over ``confirm`` checks in a row (their
      median), timed from when it was reached, so one lucky check followed by a hump while the network
      still learns its lowest modes does not stop the training before the real minimum;
    * ``max_steps`` is reached.

    Pre-flight: at step 0, if one DNN step costs more than ``patience`` × the predicted cost of the
    classical solver alone (``step_cost`` given to :meth:`start`), it switches at once (M = 0).

    Record keys written: ``predicted_sweeps``, ``predicted_remaining``, ``predicted_total`` (on the run's
    timeline), ``check_seconds`` (the whole check: the grid evaluation and spectrum the phase measured,
    plus this decision); at the deciding check ``switch_reason`` and ``hand_over_step``.

    Parameters: ``patience`` in (0, 10] (default 0.05), ``check_every`` (steps between checks, or
    ``"auto"``: keep the checks' cost below ``overhead`` of the phase time, and at least one check per
    patience window), ``overhead`` in (0, 1) (default 0.05), ``confirm`` (checks a best total must hold,
    default 3), ``min_steps`` (never hand over a DNN snapshot before; default 0), ``disc_error`` for the
    cost model (``"richardson"``, ``"exact"`` or a number).

    >>> Adaptive(patience=0)
    Traceback (most recent call last):
    ...
    ValueError: Adaptive(patience)=0 is outside (0.0, 10.0]...
    """

    name = "adaptive"
    needs_cost_model = True
    needs_spectrum = True
    needs_target = True

    def __init__(self, *, patience: float = 0.05, check_every="auto", overhead: float = 0.05, min_steps: int = 0,
                 confirm: int = 3, disc_error="richardson", **unknown):
        reject_unknown(unknown, ("patience", "check_every", "overhead", "min_steps", "confirm", "disc_error"),
                       "Adaptive")
        try:
            v = float(patience)
        except (TypeError, ValueError):
            raise ValueError(f"Adaptive(patience) must be a number; got {patience!r}") from None
        if not (math.isfinite(v) and 0 < v <= 10):
            raise ValueError(f"Adaptive(patience)={patience!r} is outside (0.0, 10.0]: it is the DNN time "
                             "allowed without a better prediction, as a fraction of the best predicted total")
        self.patience = v
        if check_every != "auto":
            check_every = require_int("Adaptive(check_every)", check_every, minimum=1)
        self.check_every = check_every
        self.overhead = require_range("Adaptive(overhead)", overhead, 0.0, 1.0)
        self.min_steps = require_int("Adaptive(min_steps)", min_steps, minimum=0)
        self.confirm = require_int("Adaptive(confirm)", confirm, minimum=1)
        self.disc_error = disc_error
        self.start()

    def start(self, *, cost_model=None, max_steps=None, step_cost=None):
        super().start(cost_model=cost_model, max_steps=max_steps, step_cost=step_cost)
        self.best_remaining: _Point | None = None   # the hand-over candidate (kept by the engine)
        self.best_total: _Point | None = None
        self.best_held: _Point | None = None        # the best total held over ``confirm`` checks
        self._recent: deque = deque(maxlen=self.confirm)
        self._first: _Point | None = None
        self._last_check_cost: float | None = None

    def correction_policy(self) -> "Adaptive":
        return Adaptive(patience=self.patience, confirm=self.confirm)

    @property
    def preflight_budget(self) -> float:
        """Seconds one DNN step may cost before the pre-flight calls the DNN hopeless: ``patience`` × the
        predicted cost of the classical solver alone (known after the first check)."""
        return self.patience * self._first.remaining

    def preflight(self, step_cost: float, points: int | None = None) -> Decision | None:
        """After the first check: if one DNN step (``step_cost``, a lower bound in seconds measured on the
        ``points`` a step uses) costs more than :attr:`preflight_budget`, the DNN cannot pay — switch at
        once (M = 0, the first check's iterate, which was kept). Else None."""
        first = self._first
        if step_cost > self.preflight_budget:
            return Decision(stop=True, keep=True, reason=(
                f"adaptive (pre-flight): one DNN step costs at least {step_cost:.3g} s (a measured forward "
                f"pass of the network on {points or '?'} points, no more than a step uses) > patience "
                f"{self.patience:g} × {first.remaining:.3g} s, the predicted cost of the classical solver alone "
                f"({first.sweeps} sweeps × {self.cost_model.t_sweep:.3g} s); the DNN cannot pay: M=0"))
        return None

    def decide(self, record, history) -> Decision:
        t0 = time.perf_counter()
        cm = self.cost_model
        if cm is None or cm.t_sweep is None:
            raise ValueError("Adaptive needs a CostModel with a measured t_sweep: call start(cost_model=...)")
        if "error_hat" not in record:
            raise ValueError("Adaptive decides from the check's error spectrum: record['error_hat'] is missing "
                             "(run the loop with annotate=hybridsolve.monitor.ErrorSpectrum(problem))")
        n = cm.predict_sweeps_from(record["error_hat"])
        rem = n * cm.t_sweep
        p = _Point(record.step, record.time, n, rem, record.time + rem)
        record.data.update(predicted_sweeps=float(n), predicted_remaining=float(rem), predicted_total=float(p.total))
        decision = self._first_check(p) if self._first is None else self._check(p, record)
        if decision.stop:
            record.data["switch_reason"] = decision.reason
            record.data["hand_over_step"] = record.step if decision.keep else self.best_remaining.step
        cost = record.get("check_seconds", 0.0) + (time.perf_counter() - t0)
        record.data["check_seconds"] = cost
        self._last_check_cost = cost
        if not decision.stop:
            decision.next_check = self._next_check(p)
        return decision

    def _first_check(self, p: _Point) -> Decision:
        self._first = self.best_remaining = self.best_total = self.best_held = p
        self._recent.append(p)
        if p.sweeps == 0:
            return Decision(stop=True, keep=True, reason="adaptive: the initial guess already meets the target by "
                                                         "the cost model: M=0")
        if self.step_cost is not None:
            secs, points = self.step_cost(self.preflight_budget)
            pre = self.preflight(secs, points)
            if pre is not None:
                return pre
        if self.max_steps is not None and self.max_steps <= p.step:
            return Decision(stop=True, keep=True, reason=f"adaptive: max_dnn_steps={self.max_steps} reached; "
                                                         "handing over the initial guess (M=0)")
        return Decision(keep=True)

    def _check(self, p: _Point, record) -> Decision:
        cm = self.cost_model
        keep = p.step >= self.min_steps and p.remaining < self.best_remaining.remaining
        if keep:
            self.best_remaining = p
        if p.total < self.best_total.total:
            self.best_total = p
        self._recent.append(p)
        if len(self._recent) == self.confirm:   # the median of the last ``confirm`` totals
            mid = sorted(self._recent, key=lambda q: q.total)[self.confirm // 2]
            if mid.total < self.best_held.total:
                self.best_held = mid
        held, hand = self.best_held, self.best_remaining
        what = ("the classical solver alone from the initial guess (M=0)" if hand.step == self._first.step
                else f"the DNN output at step {hand.step}")
        if p.sweeps == 0 and p.step >= self.min_steps:
            return Decision(stop=True, keep=True, reason=(
                f"adaptive: the DNN output at step {p.step} already meets the target by the cost model "
                f"(error bound {record.get('error_bound', math.nan):.3g} ≤ τ − ε_disc = {cm.tol:.3g}): DNN alone"))
        waited = p.time - held.time
        if waited > self.patience * held.remaining:
            return Decision(stop=True, keep=keep, reason=(
                f"adaptive: predicted total stopped falling — best {held.total - self._first.time:.3g} s (held over "
                f"{self.confirm} checks) at step {held.step}, and {waited:.3g} s of DNN time since then "
                f"> patience {self.patience:g} × {held.remaining:.3g} s (the classical work it predicted then: "
                f"all that more training could still save); handing over {what}: predicted {hand.sweeps} sweeps "
                f"× {cm.t_sweep:.3g} s = {hand.remaining:.3g} s"))
        if self.max_steps is not None and p.step >= self.max_steps:
            return Decision(stop=True, keep=keep, reason=(
                f"adaptive: max_dnn_steps={self.max_steps} reached; handing over {what}: predicted "
                f"{hand.sweeps} sweeps × {cm.t_sweep:.3g} s = {hand.remaining:.3g} s"))
        return Decision(keep=keep)

    def _next_check(self, p: _Point) -> int:
        if self.check_every != "auto":
            return p.step + self.check_every
        steps = p.step - self._first.step
        if steps <= 0 or self._last_check_cost is None:
            return p.step + 1
        t_step = (p.time - self._first.time) / steps   # phase seconds per step so far, checks included
        if not t_step > 0:
            return p.step + 1
        k_over = self._last_check_cost / (self.overhead * t_step)
        held = self.best_held
        window = self.patience * held.remaining / t_step if math.isfinite(held.total) else k_over
        return p.step + max(1, int(min(k_over, max(window, 1.0))))

    def describe(self):
        return {"policy": "adaptive", "patience": self.patience, "check_every": self.check_every,
                "overhead": self.overhead, "min_steps": self.min_steps, "confirm": self.confirm,
                "disc_error": self.disc_error}

    def __repr__(self):
        return f"Adaptive(patience={self.patience}, check_every={self.check_every!r})"


def make_policy(switch) -> SwitchPolicy:
    """``"adaptive"`` → Adaptive(); an int M → Fixed(M); ``"fixed:M"``; a list → Sweep; a policy object as is.

    >>> make_policy("adaptive").name, make_policy(50), make_policy([0, 10])
    ('adaptive', Fixed(50), Sweep([0, 10]))
    """
    if isinstance(switch, SwitchPolicy):
        return switch
    if isinstance(switch, str):
        if switch == "adaptive":
            return Adaptive()
        if switch.startswith("fixed:"):
            return Fixed(int(switch.split(":", 1)[1]))
        if switch.startswith("sweep:"):
            return Sweep([int(s) for s in switch.split(":", 1)[1].split(",")])
        raise ValueError(f"unknown switch {switch!r}; valid: 'adaptive', 'fixed:M', 'sweep:M1,M2,...', an int M, "
                         "a list of Ms, or a Fixed/Sweep/Adaptive object")
    if isinstance(switch, (int, np.integer)) and not isinstance(switch, bool):
        return Fixed(int(switch))
    if isinstance(switch, (list, tuple)):
        return Sweep(switch)
    raise ValueError(f"switch={switch!r} is not a policy; valid: 'adaptive', an int M, a list of Ms, a policy object")

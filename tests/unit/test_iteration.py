"""The one iteration loop (hybridsolve.iteration): cadence of checks and observations, the clock,
the control path (annotate → stopping rule → controller), observers, divergence."""
import time

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve._util import Stopwatch
from hybridsolve.iteration import Decision, as_observers, iterate
from hybridsolve.stopping import StepBudget, StoppingRule


class Halving:
    """Toy stepper: the error against u* halves per step (so the residual does too)."""

    phase = "toy"

    def __init__(self, p, fail_at=None, delay=0.0):
        self.p, self.u_star = p, p.discrete_solution()
        self.u = p.initial_guess().astype(float)
        self.steps, self.fail_at, self.delay = 0, fail_at, delay

    def advance(self, count):
        for _ in range(count):
            if self.fail_at is not None and self.steps >= self.fail_at:
                raise FloatingPointError(f"blew up at {self.steps}")
            self.u += 0.5 * (self.u_star - self.u)
            self.steps += 1
        if self.delay:
            time.sleep(self.delay * count)

    def iterate(self):
        return self.u

    def extras(self):
        return {"steps_seen": self.steps}


@pytest.fixture
def p():
    return hs.problems.paper_1d(n=32)


def _run(p, stepper=None, **kw):
    rule = kw.pop("rule", None) or StoppingRule.from_options(p, rtol=kw.pop("rtol", 0.0), maxiter=kw.pop("maxiter", 20))
    hist = hs.History()
    out = iterate(stepper or Halving(p), rule, history=hist, **kw)
    return out, hist


def test_checks_on_their_cadence_and_at_the_budget(p):
    out, hist = _run(p, check_every=6, maxiter=20)
    assert hist.steps().tolist() == [0, 6, 12, 18, 20]
    assert out.reason == "maxiter" and out.steps == 20 and not out.converged
    assert [r["steps_seen"] for r in hist] == [0, 6, 12, 18, 20]          # extras() land in the record
    res = hist.column("residual")
    assert np.allclose(res[1:4] / res[:3], 0.5 ** 6, rtol=1e-6)          # the toy contracts by 1/2 a step


def test_stops_at_the_first_check_that_meets_rtol(p):
    rule = StoppingRule.from_options(p, rtol=1e-3, maxiter=1000)
    out, hist = _run(p, rule=rule, check_every=4)
    r0 = hist[0]["residual"]
    assert out.reason == "rtol" and out.converged and out.steps % 4 == 0
    assert hist[-1]["residual"] <= 1e-3 * rule.bnorm < hist[-2]["residual"]
    assert r0 * 0.5 ** out.steps <= 1e-3 * rule.bnorm * 1.0001


def test_observers_cadence_times_and_the_final_observation(p):
    seen = []

    class Obs:
        def observe(self, u, *, phase, step, time):
            seen.append((phase, step, time))

    out, _ = _run(p, check_every=6, observe_every=5, maxiter=17, callback=Obs(), clock=Stopwatch(offset=100.0))
    assert [s for _, s, _ in seen] == [0, 5, 10, 15, 17]
    assert all(ph == "toy" for ph, _, _ in seen)
    times = [t for *_, t in seen]
    assert times[0] >= 100.0 and np.all(np.diff(times) >= 0) and times[-1] <= 100.0 + out.wall + 1e-9


def test_observation_time_is_not_solver_time(p):
    slow = []

    def sleepy(xk):
        time.sleep(0.02)
        slow.append(1)

    out, _ = _run(p, check_every=1, maxiter=10, callback=sleepy)
    assert len(slow) == 11 and out.wall < 0.02 * 11 / 2


def test_untimed_checks_leave_the_clock_to_the_steps(p):
    def slow_measure(u):
        time.sleep(0.01)
        return {"residual": 1.0}

    out, hist = _run(p, check_every=1, maxiter=8, measure=slow_measure, timed_checks=False)
    assert out.wall < 0.04 and hist[0].time == 0.0
    timed, _ = _run(p, check_every=1, maxiter=8, measure=slow_measure)
    assert timed.wall >= 0.08


def test_a_callback_returning_true_stops_and_never_overrides_a_stopping_reason(p):
    out, _ = _run(p, check_every=1, maxiter=50, callback=lambda xk: np.max(np.abs(xk)) > 0.2)
    assert out.reason == "callback" and 0 < out.steps < 50 and not out.converged
    # at the step where rtol is met, a callback that would also stop does not rename the reason
    rule = StoppingRule.from_options(p, rtol=1e-2, maxiter=100)
    met = lambda xk: rule.measure(xk)["residual"] <= rule.residual_threshold   # noqa: E731
    out2, _ = _run(p, rule=rule, check_every=1, callback=lambda xk: bool(met(xk)))
    assert out2.reason == "rtol" and out2.converged and met(out2.u)


def test_controller_decides_from_annotated_records_keeps_snapshots_and_sets_the_cadence(p):
    calls = []

    def annotate(u, rec):
        rec.data["norm"] = float(np.max(np.abs(u)))

    class Policy:
        def decide(self, record, history):
            calls.append(record.step)
            assert history[-1] is record and "norm" in record.data
            keep = record.step == 3
            if record.step >= 7:
                return Decision(stop=True, reason="switch")
            return Decision(keep=keep, next_check=record.step + (3 if record.step == 0 else 4))

    out, hist = _run(p, maxiter=100, annotate=annotate, controller=Policy())
    assert calls == [0, 3, 7] and hist.steps().tolist() == [0, 3, 7]
    assert out.reason == "switch" and out.steps == 7 and not out.converged
    step, snap = out.kept
    assert step == 3 and np.all(snap == snap) and not np.shares_memory(snap, out.u)
    assert np.max(np.abs(snap)) < np.max(np.abs(out.u))


def test_a_floating_point_error_in_a_step_is_divergence(p):
    out, hist = _run(p, Halving(p, fail_at=5), check_every=2, maxiter=20)
    assert out.reason == "diverged" and "blew up at 5" in out.error and not out.converged
    assert hist.steps().tolist() == [0, 2, 4]


def test_resumed_runs_keep_the_absolute_cadence_and_skip_the_initial_check(p):
    seen = []
    rule = StepBudget(10)
    out, hist = _run(p, rule=rule, check_every=4, start_step=6, initial_check=False,
                     measure=lambda u: {"loss": 1.0}, callback=lambda xk: seen.append(1))
    assert hist.steps().tolist() == [8, 12, 16]            # multiples of 4, then the budget (6 + 10)
    assert out.steps == 10 and out.reason == "maxiter"


def test_step_budget_stops_on_a_non_finite_loss(p):
    vals = iter([1.0, 0.5, float("nan"), 0.1])
    out, hist = _run(p, rule=StepBudget(10), check_every=1, measure=lambda u: {"loss": next(vals)})
    assert out.reason == "diverged" and len(hist) == 3


def test_as_observers_one_convention():
    class Mon:
        def observe(self, u, *, phase, step, time):
            return None

    obs = as_observers([print, Mon()], monitor=Mon())
    assert len(obs) == 3 and all(callable(o.observe) for o in obs)
    with pytest.raises(ValueError, match="callback must be a callable"):
        as_observers([print, 3])
    with pytest.raises(ValueError, match="monitor must have an observe"):
        as_observers(monitor=object())

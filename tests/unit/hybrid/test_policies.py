"""Switch policies and the spectral cost model (hybridsolve.hybrid); the spectral pieces it rests on
(ê, ‖v_k‖∞, λ_k, the predicted sweep count, exact Jacobi trajectories) are tested in test_spectral.py."""
import math

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.history import History, Record
from hybridsolve.hybrid import Adaptive, CostModel, Fixed, Sweep, make_policy, richardson_disc_error
from hybridsolve.monitor import ErrorSpectrum
from hybridsolve.solvers.relaxation import Relaxation


def _drive(pol, problem, checks, history=None):
    """Run ``pol`` as the iteration loop does: each check ``(step, time, u)`` becomes a record annotated
    with the error spectrum; the policy decides; the loop keeps a copy of the iterate when asked. Stops at
    the first ``stop``. Returns ``(decision, kept (step, u) or None, the deciding record)``."""
    annotate, kept = ErrorSpectrum(problem), None
    history = History() if history is None else history
    for step, t, u in checks:
        rec = Record("dnn", step, t)
        annotate(u, rec)
        history.append(rec)
        d = pol.decide(rec, history)
        if d.keep:
            kept = (step, np.array(u, copy=True))
        if d.stop:
            break
    return d, kept, rec


def _true_sweeps(problem, u0, tol, omega=1.0, method="jacobi", nmax=200_000):
    """Sweep one at a time and return the first N with ‖u_N − u*‖∞ ≤ tol (the ground truth)."""
    ustar = problem.discrete_solution()
    relax = Relaxation(problem, method, omega)
    u = np.ascontiguousarray(problem.apply_boundary(u0))
    for n in range(nmax):
        if np.max(np.abs(u - ustar)) <= tol:
            return n
        relax.sweep(u, 1)
    raise AssertionError("did not reach tol")


@pytest.mark.parametrize("modes", [((1, 1.0),), ((1, 1.0), (3, 0.3), (20, 0.5)), ((2, 0.4), (5, -0.2), (60, 0.3))])
def test_cost_model_predicts_jacobi_sweeps_on_known_spectrum(modes):
    """Error = a sum of sine modes: the predicted N bounds the true N from above, and tightly."""
    n = 64
    p = hs.problems.sine(1, n, 1)
    x = p.grid.coords[0]
    e0 = sum(a * np.sin(k * np.pi * x) for k, a in modes)
    u0 = p.discrete_solution() + e0
    tau = 1e-3
    cm = CostModel(p, classical="jacobi", target_error=tau, disc_error=0.0, t_sweep=1e-6)
    n_pred = cm.predict_sweeps(u0)
    n_true = _true_sweeps(p, u0, tau)
    assert n_true <= n_pred
    # the bound is tight once one slow mode dominates: within 2 % (+2 sweeps)
    assert n_pred <= 1.02 * n_true + 2, (n_pred, n_true)
    # the time is N · t_sweep
    assert math.isclose(cm.predict_time(u0), n_pred * 1e-6)


def test_cost_model_gauss_seidel_is_an_upper_bound_for_smooth_errors():
    n = 64
    p = hs.problems.sine(1, n, 1)
    x = p.grid.coords[0]
    u0 = p.discrete_solution() + np.sin(np.pi * x) + 0.2 * np.sin(4 * np.pi * x)
    cm = CostModel(p, classical="gauss_seidel", target_error=1e-3, disc_error=0.0)
    n_pred = cm.predict_sweeps(u0)
    n_true = _true_sweeps(p, u0, 1e-3, method="gauss_seidel")
    # a model (red-black GS is not diagonal in the sine basis): close, not a strict bound
    assert abs(n_pred - n_true) <= 0.1 * n_true + 5


def test_richardson_estimate_of_the_discretisation_error():
    for n in (100, 400):
        p = hs.problems.paper_1d(n=n)
        est, true = richardson_disc_error(p), p.discretisation_error()
        assert 0.7 < est / true < 1.3
    with pytest.raises(ValueError, match="even n"):
        richardson_disc_error(hs.problems.paper_1d(n=101))


def test_cost_model_unreachable_target_names_eps_disc():
    p = hs.problems.paper_1d(n=20)
    eps = p.discretisation_error()
    with pytest.raises(ValueError, match="unreachable.*ε_disc"):
        CostModel(p, target_error=eps / 2, disc_error="exact")
    with pytest.raises(ValueError, match="unreachable"):
        CostModel(p, target_error=eps / 2, disc_error="richardson")


def test_policy_bad_parameters():
    with pytest.raises(ValueError, match="Fixed"):
        Fixed(-3)
    with pytest.raises(ValueError, match="Fixed"):
        Fixed(2.5)
    with pytest.raises(ValueError, match="at least one"):
        Sweep([])
    with pytest.raises(ValueError, match="Sweep"):
        Sweep([10, -1])
    with pytest.raises(ValueError, match="patience"):
        Adaptive(patience=0)
    with pytest.raises(ValueError, match="patience"):
        Adaptive(patience=float("nan"))
    with pytest.raises(ValueError, match="check_every"):
        Adaptive(check_every=0)
    with pytest.raises(ValueError, match="overhead"):
        Adaptive(overhead=1.5)
    with pytest.raises(ValueError, match="confirm"):
        Adaptive(confirm=0)
    with pytest.raises(ValueError, match="unknown switch"):
        make_policy("sometimes")
    with pytest.raises(ValueError, match="unknown classical"):
        CostModel(hs.problems.paper_1d(n=16), classical="sor", target_error=1e-2)


def test_adaptive_decisions_from_the_cost_model_alone():
    """Drive the policy by hand with iterates that improve then stall: it keeps the best snapshot,
    switches after the patience window, and hands over the snapshot with the least predicted work."""
    n = 64
    p = hs.problems.sine(1, n, 1)
    x = p.grid.coords[0]
    ustar = p.discrete_solution()
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-5)
    pol = Adaptive(patience=0.1, check_every=1)
    pol.start(cost_model=cm)
    # a "DNN" whose error in the slow mode shrinks until step 5, then grows again
    amps = [0.5, 0.2, 0.05, 0.02, 0.01, 0.03, 0.05, 0.08, 0.1, 0.2, 0.3, 0.4]
    checks = [(0, 0.0, p.initial_guess())] + [
        (step, 1e-4 * step, ustar + (amps[step - 1] if step <= len(amps) else 0.4) * np.sin(np.pi * x))
        for step in range(1, 200)]
    history = History()
    d, kept, rec = _drive(pol, p, checks, history)
    assert d.stop
    step = rec.step
    r0 = history[0]["predicted_total"]          # step 0: the classical solver alone
    assert kept[0] == 5 and rec["hand_over_step"] == 5   # the best snapshot (amplitude 0.01)
    assert np.allclose(kept[1], ustar + 0.01 * np.sin(np.pi * x))
    assert pol.best_total.total < r0 and pol.best_total.step == 5
    # the clock runs from the best total held over 3 checks (their median): T4, confirmed at step 5,
    # timed from step 4, when it was reached
    held, held_step, held_t = pol.best_held.total, pol.best_held.step, pol.best_held.time
    assert held_step == 4 and held_t == 4e-4 and held == [r["predicted_total"] for r in history if r.step == 4][0]
    # the patience window is patience × the classical work predicted at that best (all that training could save)
    window = 0.1 * (held - held_t)
    assert 1e-4 * step - held_t > window              # it waited the patience window, no more
    assert 1e-4 * (step - 1) - held_t <= window
    assert "stopped falling" in d.reason and "DNN output at step 5" in d.reason


@pytest.mark.parametrize("confirm", [1, 3])
def test_adaptive_is_not_stopped_by_one_lucky_early_check(confirm):
    """Early training: the slow-mode error falls 10 % per step for 50 steps, with ONE lucky check at
    step 3 that the trend only beats at step 46. A best that must hold for 3 checks follows the trend
    to its end (step 50); confirm=1 starts the patience clock at the lucky check and stops long
    before the trend gets there, handing over the lucky snapshot."""
    n = 64
    p = hs.problems.sine(1, n, 1)
    x = p.grid.coords[0]
    ustar = p.discrete_solution()
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-5)
    pol = Adaptive(patience=0.05, check_every=1, confirm=confirm)
    pol.start(cost_model=cm)
    amps = [0.5 * 0.9**s for s in range(1, 51)] + [0.003] * 100
    amps[2] = 0.004
    checks = [(0, 0.0, p.initial_guess())] + [(step, 1e-4 * step, ustar + a * np.sin(np.pi * x))
                                              for step, a in enumerate(amps, start=1)]
    d, kept, rec = _drive(pol, p, checks)
    assert d.stop
    if confirm == 1:
        assert kept[0] == 3 and rec.step < 20       # stopped early, on the lucky snapshot
    else:
        assert kept[0] == 50                        # followed the trend to its minimum


def test_adaptive_hands_over_initial_guess_when_dnn_cannot_pay():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-7)   # Jacobi alone: ~ a millisecond
    pol = Adaptive(patience=0.1, check_every=1)
    pol.start(cost_model=cm)
    # one absurdly expensive DNN step (10 s) whose output is no better than the zero start
    d, kept, _ = _drive(pol, p, [(0, 0.0, p.initial_guess()), (1, 10.0, -0.5 * p.discrete_solution())])
    assert d.stop and kept[0] == 0 and "M=0" in d.reason
    assert np.array_equal(kept[1], p.initial_guess())


def test_adaptive_keeps_a_sunk_cost_dnn_output_that_is_better():
    """Time already spent is sunk: an expensive but useful DNN output is still handed over."""
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-7)
    pol = Adaptive(patience=0.1, check_every=1)
    pol.start(cost_model=cm)
    d, kept, _ = _drive(pol, p, [(0, 0.0, p.initial_guess()), (1, 10.0, 0.5 * p.discrete_solution())])
    assert d.stop and kept[0] == 1 and "step 1" in d.reason


def test_adaptive_stops_with_dnn_alone_when_the_bound_meets_the_target():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1.0)
    pol = Adaptive(check_every=1)
    pol.start(cost_model=cm)
    x = p.grid.coords[0]
    d, _, rec = _drive(pol, p, [(0, 0.0, p.initial_guess()), (1, 0.1, p.discrete_solution() + 0.1 * np.sin(np.pi * x))])
    assert not d.stop and rec.step == 1
    d, kept, rec = _drive(pol, p, [(2, 0.2, p.discrete_solution() + 5e-4 * np.sin(np.pi * x))])
    assert d.stop and d.keep and kept[0] == 2 and "DNN alone" in d.reason   # hands over the current iterate


def test_preflight_switches_at_once_only_when_one_step_exceeds_the_patience_budget():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-6)
    pol = Adaptive(patience=0.05)
    pol.start(cost_model=cm)
    d, _, _ = _drive(pol, p, [(0, 0.0, p.initial_guess())])
    budget = 0.05 * pol.best_total.total       # patience × the predicted cost of Jacobi alone
    assert pol.preflight(0.9 * budget, 65) is None
    d = pol.preflight(1.1 * budget, 65)
    assert d.stop and d.keep and "65 points" in d.reason and "M=0" in d.reason
    # the same through the first check, with the step cost the phase measures
    for factor, stops in ((0.9, False), (1.1, True)):
        pol.start(cost_model=cm, step_cost=lambda b: (factor * b, 65))
        d, kept, rec = _drive(pol, p, [(0, 0.0, p.initial_guess())])
        assert d.stop is stops and kept[0] == 0 and np.array_equal(kept[1], p.initial_guess())
        assert ("pre-flight" in rec.get("switch_reason", "")) is stops


def test_policies_decide_from_records_and_write_their_reasoning_into_them():
    h = History()
    fixed = Fixed(20)
    d = fixed.decide(Record("dnn", 0, 0.0), h)
    assert not d.stop and not d.keep and d.next_check == 20
    rec = Record("dnn", 20, 1.0)
    d = fixed.decide(rec, h)
    assert d.stop and d.keep and "M=20" in rec["switch_reason"]
    sweep = Sweep([0, 10, 30])
    kept = [(r.step, sweep.decide(r, h)) for r in (Record("dnn", s, 0.0) for s in (0, 10, 20, 30))]
    assert [(s, d.keep, d.stop) for s, d in kept] == [(0, True, False), (10, True, False), (20, False, False),
                                                      (30, True, False)]
    assert [d.next_check for _, d in kept[:3]] == [10, 30, 30] and kept[3][1].next_check > 10**9
    # the adaptive policy: its predictions and its check's cost go into the record
    p = hs.problems.sine(1, 64, 1)
    pol = Adaptive(check_every=5)
    pol.start(cost_model=CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-6))
    d, kept, rec = _drive(pol, p, [(0, 0.5, p.initial_guess())])
    assert d.keep and not d.stop and d.next_check == 5
    assert rec["predicted_sweeps"] == CostModel(p, target_error=1e-3, disc_error=0.0).predict_sweeps(p.initial_guess())
    assert rec["predicted_total"] == pytest.approx(0.5 + 1e-6 * rec["predicted_sweeps"])
    assert rec["check_seconds"] > 0 and rec["error_bound"] > 0
    with pytest.raises(ValueError, match="error_hat"):
        pol.decide(Record("dnn", 5, 1.0), History())


def test_policy_options_are_checked_by_name():
    with pytest.raises(ValueError, match=r"unknown option\(s\) 'patince' for Adaptive; valid options: .*patience"):
        Adaptive(patince=0.1)

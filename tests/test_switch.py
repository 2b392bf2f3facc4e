"""Switch policies and the spectral cost model (hybridsolve.switch); the spectral pieces it rests on
(ê, ‖v_k‖∞, λ_k, the predicted sweep count, exact Jacobi trajectories) are tested in test_spectral.py."""
import math

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.solvers.relaxation import Relaxation
from hybridsolve.switch import Adaptive, CostModel, Fixed, Sweep, make_policy, richardson_disc_error


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
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    r0 = pol.best_total[0]
    # a "DNN" whose error in the slow mode shrinks until step 5, then grows again
    amps = [0.5, 0.2, 0.05, 0.02, 0.01, 0.03, 0.05, 0.08, 0.1, 0.2, 0.3, 0.4]
    decided = None
    for step in range(1, 200):
        a = amps[step - 1] if step <= len(amps) else 0.4
        u = ustar + a * np.sin(np.pi * x)
        d = pol.check(step, t_dnn=1e-4 * step, u=u)
        if d.switch:
            decided = (step, d)
            break
    assert decided is not None
    step, d = decided
    assert d.step == 5                               # the best snapshot (amplitude 0.01)
    assert np.allclose(d.u, ustar + 0.01 * np.sin(np.pi * x))
    assert pol.best_total[0] < r0 and pol.best_total[1] == 5
    # the clock runs from the best total held over 3 checks (their median): T4, confirmed at step 5,
    # timed from step 4, when it was reached
    held, held_step, held_t = pol.best_held
    assert held_step == 4 and held_t == 4e-4 and held == [r["total"] for r in pol.trace if r["step"] == 4][0]
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
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    amps = [0.5 * 0.9**s for s in range(1, 51)] + [0.003] * 100
    amps[2] = 0.004
    for step, a in enumerate(amps, start=1):
        d = pol.check(step, t_dnn=1e-4 * step, u=ustar + a * np.sin(np.pi * x))
        if d.switch:
            break
    assert d.switch
    if confirm == 1:
        assert d.step == 3 and step < 20            # stopped early, on the lucky snapshot
    else:
        assert d.step == 50                         # followed the trend to its minimum


def test_adaptive_hands_over_initial_guess_when_dnn_cannot_pay():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-7)   # Jacobi alone: ~ a millisecond
    pol = Adaptive(patience=0.1, check_every=1)
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    # one absurdly expensive DNN step (10 s) whose output is no better than the zero start
    d = pol.check(1, t_dnn=10.0, u=-0.5 * p.discrete_solution())
    assert d.switch and d.step == 0 and "M=0" in d.reason
    assert np.array_equal(d.u, p.initial_guess())


def test_adaptive_keeps_a_sunk_cost_dnn_output_that_is_better():
    """Time already spent is sunk: an expensive but useful DNN output is still handed over."""
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-7)
    pol = Adaptive(patience=0.1, check_every=1)
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    d = pol.check(1, t_dnn=10.0, u=0.5 * p.discrete_solution())
    assert d.switch and d.step == 1 and "step 1" in d.reason


def test_adaptive_stops_with_dnn_alone_when_the_bound_meets_the_target():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1.0)
    pol = Adaptive(check_every=1)
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    x = p.grid.coords[0]
    assert not pol.check(1, 0.1, p.discrete_solution() + 0.1 * np.sin(np.pi * x)).switch
    d = pol.check(2, 0.2, p.discrete_solution() + 5e-4 * np.sin(np.pi * x))
    assert d.switch and d.u is None and d.step == 2 and "DNN alone" in d.reason


def test_preflight_switches_at_once_only_when_one_step_exceeds_the_patience_budget():
    p = hs.problems.sine(1, 64, 1)
    cm = CostModel(p, target_error=1e-3, disc_error=0.0, t_sweep=1e-6)
    pol = Adaptive(patience=0.05)
    pol.start(problem=p, cost_model=cm, u0=p.initial_guess())
    budget = 0.05 * pol.best_total[0]          # patience × the predicted cost of Jacobi alone
    assert pol.preflight(0.9 * budget, 65) is None
    d = pol.preflight(1.1 * budget, 65)
    assert d.switch and d.step == 0 and "65 points" in d.reason and "M=0" in d.reason
    assert np.array_equal(d.u, p.initial_guess())

"""Geometric multigrid: convergence factors, cycles, full multigrid, agreement with spsolve, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.solvers.multigrid import Multigrid, levels_for


@pytest.mark.parametrize("dim,n", [(2, 64), (3, 32)])
def test_v22_convergence_factor(rng, dim, n):
    p = hs.problems.get(f"multiscale_{dim}d", n=n)
    u0 = rng.standard_normal(p.grid.shape)  # every frequency present
    res = hs.solve(p, "multigrid", u0=u0, rtol=1e-11, coarsest=4)
    assert res.converged
    assert len(res.info["levels"]) >= 3
    assert res.info["convergence_factor"] <= 0.15
    assert max(res.info["factors"][1:]) <= 0.2  # no single cycle far off the mean


@pytest.mark.parametrize("cycle", ["V", "W", "F"])
@pytest.mark.parametrize("smoother", ["gauss_seidel", "jacobi"])
def test_cycles_and_smoothers_converge(cycle, smoother):
    p = hs.problems.smooth_2d(n=32)
    res = hs.solve(p, "multigrid", cycle=cycle, smoother=smoother, rtol=1e-10, coarsest=4)
    assert res.converged and res.reason == "rtol"
    assert res.info["convergence_factor"] < (0.1 if smoother == "gauss_seidel" else 0.3)
    np.testing.assert_allclose(res.u, hs.solve(p, "direct").u, atol=1e-9)


def test_w_and_f_cycles_contract_at_least_as_well_as_v(rng):
    p = hs.problems.multiscale_2d(n=64)
    u0 = rng.standard_normal(p.grid.shape)
    rho = {c: hs.solve(p, "multigrid", cycle=c, u0=u0, maxiter=6, rtol=1e-14, coarsest=4,
                       smoother="jacobi").info["convergence_factor"] for c in "VWF"}
    assert rho["W"] <= rho["V"] * 1.05 and rho["F"] <= rho["V"] * 1.05


@pytest.mark.parametrize("name,n", [("paper_1d", 1000), ("smooth_1d", 256), ("smooth_2d", 128),
                                    ("multiscale_2d", 128), ("smooth_3d", 32), ("multiscale_3d", 32)])
def test_fmg_reaches_discretisation_error_in_one_pass(name, n):
    p = hs.problems.get(name, n=n)
    res = hs.solve(p, "multigrid", fmg=True, maxiter=1, rtol=1e-300, coarsest=4)
    assert res.iterations == 1 and not res.converged and res.reason == "maxiter"
    eps = p.discretisation_error()
    assert res.error_inf <= 2 * eps


def test_fmg_needs_several_levels_to_mean_anything():
    # one FMG pass is far better than one V-cycle from zero (the property FMG exists for)
    p = hs.problems.smooth_2d(n=128)
    fmg = hs.solve(p, "multigrid", fmg=True, maxiter=1, rtol=1e-300)
    v = hs.solve(p, "multigrid", maxiter=1, rtol=1e-300)
    assert fmg.error_inf < 0.5 * v.error_inf


@pytest.mark.parametrize("name,n", [("smooth_2d", (32, 16)), ("multiscale_3d", 16), ("smooth_1d", 64)])
def test_matches_spsolve(name, n):
    p = hs.problems.get(name, n=8).with_n(n) if np.ndim(n) else hs.problems.get(name, n=n)
    res = hs.solve(p, "multigrid", rtol=1e-13, coarsest=2)
    ref = hs.solve(p, "spsolve").u
    assert res.converged
    np.testing.assert_allclose(res.u, ref, atol=1e-10 * np.max(np.abs(ref)))


def test_n_1000_coarsens_to_125_and_solves():
    p = hs.problems.paper_1d(n=1000)
    res = hs.solve(p, "multigrid", smoother="jacobi", rtol=1e-10)
    assert res.converged and res.info["levels"] == [[1000], [500], [250], [125]]
    assert levels_for((1000,), 16) == [(1000,), (500,), (250,), (125,)]


def test_small_n_is_solved_directly():
    p = hs.problems.smooth_2d(n=9)  # odd but not above coarsest: one level, the DST
    res = hs.solve(p, "multigrid", rtol=1e-12)
    assert res.converged and res.iterations == 1 and res.info["num_levels"] == 1


def test_odd_n_raises_with_advice():
    p = hs.problems.paper_1d(n=1001)
    with pytest.raises(ValueError, match=r"n=1001.*even.*n=1000 → levels 1000, 500, 250, 125"):
        hs.solve(p, "multigrid")
    with pytest.raises(ValueError, match="even"):
        hs.solve(hs.problems.smooth_2d(n=(64, 33)).with_n((33, 64)), "multigrid", coarsest=8)


def test_maxiter_not_converged_and_history():
    p = hs.problems.smooth_3d(n=16)
    res = hs.solve(p, "multigrid", rtol=1e-15, maxiter=2, coarsest=4)
    assert not res.converged and res.reason == "maxiter" and res.iterations == 2
    assert res.history.steps().tolist() == [0, 1, 2]
    assert res.history.phases == ["multigrid"]
    assert "error_inf" in res.history.records[-1].data
    assert len(res.info["factors"]) == 2


def test_target_error_stop():
    p = hs.problems.multiscale_2d(n=64)
    tau = 1.5 * p.discretisation_error()
    res = hs.solve(p, "multigrid", target_error=tau)
    assert res.converged and res.reason == "target_error" and res.error_inf <= tau
    errs = res.history.column("error_inf")
    assert np.all(errs[:-1] > tau)


class _Spy:
    time_offset = 0.0

    def __init__(self):
        self.steps = []

    def observe(self, u, *, phase, step, time):
        assert phase == "multigrid" and u.dtype == np.float64
        self.steps.append(step)


def test_monitor_protocol():
    p = hs.problems.smooth_2d(n=32)
    spy = _Spy()
    res = hs.solve(p, "multigrid", rtol=1e-10, monitor=spy, observe_every=2)
    assert spy.steps[0] == 0 and spy.steps[-1] == res.iterations
    assert all(s % 2 == 0 for s in spy.steps[:-1])


def test_cycle_allocates_nothing_on_fine_levels():
    p = hs.problems.smooth_2d(n=64)
    mg = Multigrid(p, coarsest=4)
    ids = [(id(L.u), id(L.f), id(L.r)) for L in mg.levels]
    u = p.initial_guess()
    mg.cycle(u)
    mg.fmg(u)
    assert ids == [(id(L.u), id(L.f), id(L.r)) for L in mg.levels]


def test_bad_input():
    p = hs.problems.smooth_2d(n=16)
    for kw, name in ((dict(cycle="X"), "cycle"), (dict(smoother="sor"), "smoother"), (dict(omega=2.0), "omega"),
                     (dict(pre=-1), "pre"), (dict(pre=0, post=0), "pre"), (dict(coarsest=1), "coarsest"),
                     (dict(u0=np.zeros((4, 4))), "u0"), (dict(fmg=True, u0=p.initial_guess()), "u0"),
                     (dict(observe_every=0), "observe_every"), (dict(cylce="V"), "valid options")):
        with pytest.raises(ValueError, match=name):
            hs.solve(p, "multigrid", **kw)
    bad = p.initial_guess()
    bad[2, 2] = np.nan
    with pytest.raises(ValueError, match="u0"):
        hs.solve(p, "multigrid", u0=bad)

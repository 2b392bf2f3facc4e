"""Jacobi and Gauss–Seidel: per-mode decay, convergence to u*, stopping, monitor protocol, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.solvers.direct import eigenvalues
from hybridsolve.solvers.relaxation import Relaxation, amplification, default_check_every


def _mode(grid, k):
    """DST-I mode k (tuple) on the full grid, zero on the boundary."""
    out = 1.0
    for d, (nd, kd) in enumerate(zip(grid.n, k)):
        v = np.sin(np.arange(nd + 1) * kd * np.pi / nd)
        shape = [1] * grid.dim
        shape[d] = nd + 1
        out = out * v.reshape(shape)
    return out


@pytest.mark.parametrize("dim,n,k,omega", [(1, 64, (3,), 1.0), (1, 64, (60,), 1.0), (1, 50, (20,), 0.6),
                                           (2, 16, (2, 13), 1.0), (3, 8, (1, 5, 7), 0.8)])
def test_jacobi_mode_decays_by_lambda_k(dim, n, k, omega):
    p = hs.problems.sine(dim, n, 1)
    ustar = p.discrete_solution()
    v = _mode(p.grid, k)
    lam = amplification(p, omega)[tuple(kd - 1 for kd in k)]
    # and the formula λ_k = 1 − ω (1 − mean_d cos(k_d π / n)) for equal spacing
    np.testing.assert_allclose(lam, 1 - omega * (1 - np.mean([np.cos(kd * np.pi / n) for kd in k])), rtol=1e-12)
    relax = Relaxation(p, "jacobi", omega)
    u = ustar + v
    for s in range(1, 6):
        relax.sweep(u, 1)
        e = u - ustar
        # the error stays the same mode, multiplied by λ_k per sweep
        np.testing.assert_allclose(e, lam**s * v, atol=1e-10)
    u = ustar + v
    relax.sweep(u, 7)  # several sweeps in one kernel call: same
    np.testing.assert_allclose(u - ustar, lam**7 * v, atol=1e-10)


def test_amplification_is_one_minus_omega_mu_over_a():
    p = hs.problems.smooth_2d(n=12)
    a = sum(2 / h**2 for h in p.grid.h)
    np.testing.assert_allclose(amplification(p, 0.5), 1 - 0.5 * eigenvalues(p.grid) / a)
    with pytest.raises(ValueError, match="omega"):
        amplification(p, 2.0)


@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel"])
@pytest.mark.parametrize("name,n", [("smooth_1d", 32), ("smooth_2d", 16), ("multiscale_3d", 8)])
def test_converges_to_discrete_solution(method, name, n):
    p = hs.problems.get(name, n=n)
    res = hs.solve(p, method, rtol=1e-11, maxiter=200_000)
    assert res.converged and res.reason == "rtol"
    np.testing.assert_allclose(res.u, hs.solve(p, "spsolve").u, atol=1e-8)
    assert res.residual_norm <= 1e-11 * np.linalg.norm(p.rhs())
    # boundary values are exactly the problem's
    mask = p.grid.boundary_mask()
    assert np.array_equal(res.u[mask], p.boundary_values[mask])


def test_gauss_seidel_needs_fewer_sweeps_and_sor_fewer_still():
    p = hs.problems.smooth_2d(n=16)
    its = [hs.solve(p, m, rtol=1e-8, check_every=1, **kw).iterations
           for m, kw in (("jacobi", {}), ("gauss_seidel", {}), ("gauss_seidel", {"omega": 1.7}))]
    assert its[0] > its[1] > its[2]
    assert 1.6 < its[0] / its[1] < 2.4  # the classical factor 2 between Jacobi and Gauss–Seidel


def test_target_error_iteration_count_is_exact():
    p = hs.problems.paper_1d(n=64)
    tau = 3 * p.discretisation_error()
    res = hs.solve(p, "jacobi", target_error=tau, check_every=1)
    assert res.converged and res.reason == "target_error"
    relax = Relaxation(p, "jacobi", 1.0)
    u = p.initial_guess()
    s = 0
    while np.max(np.abs(u - p.u_exact)) > tau:
        relax.sweep(u, 1)
        s += 1
    assert res.iterations == s
    assert res.error_inf <= tau < res.history.column("error_inf")[-2]
    # with a coarser check interval the stop lands on the first check at or after s
    res5 = hs.solve(p, "jacobi", target_error=tau, check_every=50)
    assert res5.iterations == -(-s // 50) * 50


def test_history_records_checks():
    p = hs.problems.smooth_2d(n=8)
    res = hs.solve(p, "gauss_seidel", rtol=1e-6, check_every=3)
    steps = res.history.steps()
    assert steps[0] == 0 and all(s % 3 == 0 for s in steps[:-1]) and steps[-1] == res.iterations
    assert res.history.phases == ["gauss_seidel"]
    assert np.all(np.diff(res.history.times()) >= 0)
    assert "error_inf" in res.history.records[-1].data  # the problem has an exact solution
    np.testing.assert_allclose(res.history.column("residual")[-1], hs.operators.residual_norm(p, res.u), rtol=1e-10)


def test_maxiter_is_not_converged():
    p = hs.problems.smooth_2d(n=32)
    res = hs.solve(p, "jacobi", rtol=1e-12, maxiter=37)
    assert not res.converged and res.reason == "maxiter" and res.iterations == 37


def test_diverged_is_reported():
    p = hs.problems.smooth_1d(n=16)
    u0 = np.full(p.grid.shape, 1e308)
    res = hs.solve(p, "jacobi", u0=u0, maxiter=100, check_every=1)
    assert res.reason == "diverged" and not res.converged


def test_u0_is_used_and_not_modified():
    p = hs.problems.smooth_2d(n=8)
    u0 = p.discrete_solution()
    u0[0, 0] = 123.0  # wrong boundary value: re-imposed from the problem
    keep = u0.copy()
    res = hs.solve(p, "jacobi", u0=u0, rtol=1e-8)
    assert res.iterations == 0 and res.converged
    assert np.array_equal(u0, keep)
    assert res.u[0, 0] == p.boundary_values[0, 0]


class _Spy:
    time_offset = 0.0

    def __init__(self):
        self.calls = []

    def observe(self, u, *, phase, step, time):
        self.calls.append((phase, step, time, u.shape, u.dtype))


def test_monitor_protocol():
    p = hs.problems.paper_1d(n=32)
    spy = _Spy()
    res = hs.solve(p, "jacobi", rtol=1e-6, monitor=spy, observe_every=10, check_every=7)
    steps = [c[1] for c in spy.calls]
    assert steps[0] == 0 and steps[-1] == res.iterations
    assert all(s % 10 == 0 for s in steps[:-1])
    assert all(c[0] == "jacobi" and c[3] == p.grid.shape and c[4] == np.float64 for c in spy.calls)
    times = [c[2] for c in spy.calls]
    assert times == sorted(times) and times[-1] <= res.wall_time + 1e-9


def test_relaxation_object():
    p = hs.problems.smooth_2d(n=16)
    for method in ("jacobi", "gauss_seidel"):
        relax = Relaxation(p, method)
        u = p.initial_guess()
        before = hs.operators.residual_norm(p, u)
        relax.sweep(u, 10)
        assert hs.operators.residual_norm(p, u) < before
        t = relax.time_per_sweep()
        assert t > 0 and relax.time_per_sweep() == t  # cached
        with pytest.raises(ValueError, match="shape"):
            relax.sweep(np.zeros((3, 3)), 1)
    with pytest.raises(ValueError, match="method"):
        Relaxation(p, "sor")


def test_default_check_every_is_sane():
    assert default_check_every(1001) > default_check_every(1025**2) >= 1
    assert default_check_every(10**9) >= 1


@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel"])
def test_bad_input(method):
    p = hs.problems.smooth_2d(n=8)
    for omega in (0.0, 2.0, -0.5, 2.5, float("nan")):
        with pytest.raises(ValueError, match="omega"):
            hs.solve(p, method, omega=omega)
    with pytest.raises(ValueError, match="u0"):
        hs.solve(p, method, u0=np.zeros((8, 8)))
    bad = p.initial_guess()
    bad[3, 3] = np.inf
    with pytest.raises(ValueError, match="u0"):
        hs.solve(p, method, u0=bad)
    with pytest.raises(ValueError, match="valid options"):
        hs.solve(p, method, omgea=1.0)
    with pytest.raises(ValueError, match="check_every"):
        hs.solve(p, method, check_every=0)
    with pytest.raises(ValueError, match="maxiter"):
        hs.solve(p, method, maxiter=-1)
    with pytest.raises(ValueError, match="target_error"):
        hs.solve(p, method, target_error=0.5 * p.discretisation_error())


def test_bad_problem_input():
    with pytest.raises(ValueError, match="source"):
        hs.PoissonProblem([(0, 1)], 8, source=lambda x: np.where(x > 0.5, np.nan, 1.0))
    with pytest.raises(ValueError, match="boundary"):
        hs.PoissonProblem([(0, 1)], 8, source=1.0, boundary=np.ones(5))
    with pytest.raises(ValueError, match="n=1"):
        hs.PoissonProblem([(0, 1)], 1, source=1.0)

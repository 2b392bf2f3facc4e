"""The β floor (hybridsolve.solvers.deep_ritz.floor) against an independent solve of the discrete
Euler–Lagrange equations of eq. (23), written out node by node here, and its Jacobi sweep count
against a real Jacobi run."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.solvers.deep_ritz.floor import beta_floor


def _independent_minimiser(p, beta):
    """Dense Euler–Lagrange equations, one node at a time: interior nodes -Δ_h u = f (5-point, boundary
    nodes as unknowns), boundary nodes Σ_edges vol (u_b − u_a)/h_d² + 2β (u_b − g_b) = 0 over the edges
    to interior neighbours (edges between two boundary nodes are not in the energy)."""
    g = p.grid
    shape, h = g.shape, g.h
    vol = float(np.prod(h))
    nodes = list(itertools.product(*[range(m) for m in shape]))
    index = {x: i for i, x in enumerate(nodes)}
    on_b = lambda x: any(c in (0, m - 1) for c, m in zip(x, shape))  # noqa: E731
    N = len(nodes)
    K, F = np.zeros((N, N)), np.zeros(N)
    for x in nodes:
        i = index[x]
        if on_b(x):
            K[i, i] += 2 * beta
            F[i] = 2 * beta * p.boundary_values[x]
        else:
            F[i] = vol * p.f[x]
        for d in range(g.dim):
            for s in (-1, 1):
                y = list(x)
                y[d] += s
                y = tuple(y)
                if not all(0 <= c < m for c, m in zip(y, shape)):
                    continue
                if on_b(x) and on_b(y):
                    continue
                w = vol / h[d] ** 2
                K[i, i] += w
                K[i, index[y]] -= w
    return np.linalg.solve(K, F).reshape(shape)


def _energy(p, u, beta):
    """Eq. (23) over grid functions, written independently: edge differences touching the interior."""
    g = p.grid
    vol = float(np.prod(g.h))
    bm = g.boundary_mask()
    E = -vol * float(np.sum((p.f * u)[~bm])) + beta * float(np.sum(((u - p.boundary_values) ** 2)[bm]))
    for d in range(g.dim):
        du = np.diff(u, axis=d) / g.h[d]
        touch = ~(np.take(bm, range(g.shape[d] - 1), axis=d) & np.take(bm, range(1, g.shape[d]), axis=d))
        E += 0.5 * vol * float(np.sum((du ** 2)[touch]))
    return E


@pytest.mark.parametrize("p, beta", [(hs.problems.paper_1d(n=40), 10.0), (hs.problems.smooth_1d(n=33), 3.0),
                                     (hs.problems.smooth_2d(n=12), 10.0), (hs.problems.multiscale_2d(n=(8, 12)), 50.0)])
def test_floor_is_the_minimiser_of_the_discrete_energy(rng, p, beta):
    f = beta_floor(p, beta)
    np.testing.assert_allclose(f.u, _independent_minimiser(p, beta), rtol=1e-10, atol=1e-12)
    E0 = _energy(p, f.u, beta)
    for _ in range(5):  # a minimum: every perturbation raises the energy (quadratically)
        du = rng.standard_normal(f.u.shape) * 1e-3
        assert _energy(p, f.u + du, beta) > E0
    assert f.error_star == pytest.approx(float(np.max(np.abs(f.u - p.discrete_solution()))))


def test_floor_tends_to_the_discrete_solution_as_beta_grows():
    p = hs.problems.paper_1d(n=200)
    errs = [beta_floor(p, b).error_star for b in (10.0, 100.0, 1000.0, 1e4)]
    assert all(a > 5 * b for a, b in zip(errs, errs[1:]))   # O(1/β)
    assert errs[-1] < 2e-5


def test_floor_tends_to_the_continuous_robin_solution():
    """The continuous minimiser of eq. (23) on paper_1d solves -u'' = g with the Robin conditions
    ±u'(±1) + 2β u(±1) = 0; as u_ref' is even there, it is u_ref + c·x with c = |u_ref'(1)| / (1 + 2β),
    so its boundary error is c. The grid minimiser's boundary error tends to c at first order in h
    (its one-sided boundary difference): about 4× closer for 4× the points. At the paper's n = 1000
    and β = 10: 0.0101 on the grid against c = 0.0090, both 9–10× above τ = 1e-3."""
    gaps = []
    for n in (1000, 4000):
        p = hs.problems.paper_1d(n=n)
        slope = abs(np.gradient(p.u_exact, p.grid.points()[:, 0], edge_order=2)[-1])
        c = slope / (1 + 2 * 10.0)
        f = beta_floor(p, 10.0)
        gaps.append(f.boundary_error - c)
        assert f.error_ref > 8e-3 and c > 8e-3   # τ = 1e-3 is out of reach at β = 10, in both models
    assert 0 < gaps[1] < gaps[0] / 3


def test_floor_sweeps_match_a_real_jacobi_run():
    p = hs.problems.paper_1d(n=128)
    tau = 2e-3
    f = beta_floor(p, 10.0, target_error=tau)
    assert 100 < f.sweeps < 20000
    res = hs.solve(p, "jacobi", u0=f.u, target_error=tau, check_every=1, maxiter=50000)
    assert res.converged and res.iterations == f.sweeps


def test_bad_beta():
    with pytest.raises(ValueError, match="beta"):
        beta_floor(hs.problems.paper_1d(n=8), 0.0)

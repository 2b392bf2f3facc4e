"""The public contract of DESIGN.md, exercised as written there (small sizes)."""
from __future__ import annotations

import numpy as np

import hybridsolve as hs


def test_poisson_contract(tmp_path):
    prob = hs.problems.paper_1d(n=200)
    f = lambda x, y: np.sin(np.pi * x) * np.sin(np.pi * y)  # noqa: E731
    p2 = hs.PoissonProblem(domain=[(0, 1), (0, 1)], n=(32, 32), source=f, boundary=0.0, exact=None)
    g = p2.grid
    assert (g.dim, g.n, g.shape) == (2, (32, 32), (33, 33)) and len(g.coords) == 2 and g.h == (1 / 32, 1 / 32)

    res = hs.solve(p2, "multigrid", rtol=1e-10)
    assert isinstance(res, hs.SolveResult) and res.converged and res.u.shape == g.shape
    assert res.iterations > 0 and res.wall_time > 0 and len(res.history) > 0
    np.testing.assert_allclose(res.u, hs.solve(p2, "direct").u, atol=1e-9)

    res = hs.solve(prob, "jacobi", omega=1.0, maxiter=200_000, target_error=1e-3)
    assert res.converged and res.error_inf <= 1e-3

    res = hs.solve(prob, "deep_ritz", widths=[1, 16, 16, 1], steps=5, seed=0)
    assert res.iterations == 5 and res.u.shape == prob.grid.shape and not res.converged

    res = hs.solve(prob, "hybrid", dnn=dict(widths=[1, 16, 1], lr=1e-2, init_std=0.3), classical="jacobi",
                   switch="adaptive", target_error=1e-3, max_dnn_steps=20)
    assert res.converged and res.error_inf <= 1e-3

    mon = hs.SpectralMonitor(prob, reference="exact", basis="dft", peaks="auto")
    rec = mon.observe(prob.initial_guess(), phase="dnn", step=100, time=1.23)
    assert {"error_inf", "error_l2", "delta_F", "band_low", "band_high"} <= set(rec.data)
    assert rec.step == 100 and rec.phase == "dnn" and all(abs(v - 1.0) < 1e-9 for v in rec.delta_F.values())
    path = tmp_path / "hist"
    mon.history.save(path)
    back = hs.History.load(path)
    assert back[0].delta_F == rec.delta_F


def test_probe_contract(rng):
    from hybridsolve import probes

    X = rng.standard_normal((300, 5))
    Y = np.stack([np.sin(X @ np.ones(5)), np.cos(X[:, 0])], axis=1)
    pp = probes.ProjectionProbe(X, Y, output=0, direction="pc1", peaks="auto")
    fp = probes.FilteringProbe(X, Y, deltas=[3.0, 7.0, 10.0])
    assert all(v < 1e-12 for v in pp(Y).values())
    out = fp(Y)
    assert set(out) >= {"e_low", "e_high"} and all(v < 1e-12 for v in out["e_low"].values())
    noisy = fp(Y + 0.1 * rng.standard_normal(Y.shape))
    assert all(v > 0 for v in noisy["e_high"].values())

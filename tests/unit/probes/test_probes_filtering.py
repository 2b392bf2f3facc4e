"""FilteringProbe: exact blocked computation against a dense n×n NumPy computation, the sampled
approximation against the exact one on a 5 000-image Fashion-MNIST subset, and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from hybridsolve.probes import FilteringProbe, data, filter_exact, one_hot
from hybridsolve.probes.filtering import _gauss_kernel, _gauss_rows_numpy


def _dense(X, Y, H, delta):
    """eq. 6–9 written out with the full n×n matrix (float64)."""
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    G = np.exp(-D / (2 * delta))
    K = G / G.sum(1, keepdims=True)
    ylow, hlow = K @ Y, K @ H
    e_low = np.sqrt(((ylow - hlow) ** 2).sum() / (ylow ** 2).sum())
    e_high = np.sqrt((((Y - ylow) - (H - hlow)) ** 2).sum() / ((Y - ylow) ** 2).sum())
    return e_low, e_high, ylow


def _toy(rng, n=240, d=6, m=3):
    X = rng.random((n, d)) * 2
    Y = np.eye(m)[rng.integers(0, m, n)]
    H = Y + 0.4 * rng.normal(size=Y.shape)
    return X, Y, H


def test_numba_kernel_matches_numpy(rng):
    D = (rng.random((17, 33)) * 20).astype(np.float32)
    out = np.empty_like(D)
    sums = np.empty(17)
    _gauss_kernel()(D, np.float32(-0.5 / 3.0), out, sums)
    ref, ref_sums = _gauss_rows_numpy(D, -0.5 / 3.0)
    np.testing.assert_allclose(out, ref, rtol=2e-5)
    np.testing.assert_allclose(sums, ref_sums, rtol=2e-5)


@pytest.mark.parametrize("block", [7, 1000])
def test_exact_blocked_matches_dense(rng, block):
    X, Y, H = _toy(rng)
    deltas = [0.05, 0.3, 1.0]
    got = filter_exact(X, Y, H, deltas=deltas, block=block, return_parts=True)
    for d in deltas:
        e_low, e_high, ylow = _dense(X, Y, H, d)
        assert got["e_low"][d] == pytest.approx(e_low, rel=1e-4)
        assert got["e_high"][d] == pytest.approx(e_high, rel=1e-4)
        np.testing.assert_allclose(got["y_low"][d], ylow, atol=2e-5)


def test_probe_exact_method_matches_dense(rng):
    X, Y, H = _toy(rng, n=300)
    fp = FilteringProbe(X, Y, deltas=[0.1, 0.5])
    assert fp.method == "exact"
    r = fp(H)
    for d in (0.1, 0.5):
        e_low, e_high, _ = _dense(X, Y, H, d)
        assert r["e_low"][d] == pytest.approx(e_low, rel=1e-4)
        assert r["e_high"][d] == pytest.approx(e_high, rel=1e-4)
    # limits: h = y gives zero error; h = 0 gives relative error one
    assert fp(Y)["e_low"][0.1] == 0.0 and fp(np.zeros_like(Y))["e_high"][0.5] == pytest.approx(1.0)


def test_sampled_matches_exact_on_fashion_mnist_subset(fashion_dir):
    """The sampled approximation (10 % of the rows exact + neighbour proxy) within 1 % of the exact
    values on a 5 000-image subset, for a linear least-squares classifier's outputs and a blend."""
    ds = data.load_fashion_mnist(fashion_dir, n_train=5000, n_test=0, seed=1)
    X, Y = ds.flat(), one_hot(ds.y_train)
    Xa = np.c_[X, np.ones(len(X))]
    W = np.linalg.solve(Xa.T @ Xa + 10 * np.eye(Xa.shape[1]), Xa.T @ Y)
    H1 = Xa @ W
    H2 = 0.5 * (H1 + Y)
    deltas = [3.0, 7.0, 10.0]
    fp = FilteringProbe(X, Y, deltas=deltas, method="sampled", rows=500, neighbours=100, seed=0)
    assert fp.method == "sampled" and len(fp.rows) == 500
    exact_probe = FilteringProbe(X, Y, deltas=deltas, method="exact")
    for H in (H1, H2):
        ex = exact_probe(H)
        ap = fp(H)
        for key in ("e_low", "e_high"):
            for d in deltas:
                assert abs(ap[key][d] / ex[key][d] - 1) <= 0.01, (key, d, ap[key][d], ex[key][d])


def test_bad_input(rng):
    X, Y, H = _toy(rng, n=50)
    with pytest.raises(ValueError, match="X has 50 samples but Y has 49"):
        FilteringProbe(X, Y[:49])
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains non-finite"):
        FilteringProbe(Xn, Y)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="δ.*must be finite and > 0"):
            FilteringProbe(X, Y, deltas=[1.0, bad])
    with pytest.raises(ValueError, match="method"):
        FilteringProbe(X, Y, method="magic")
    fp = FilteringProbe(X, Y, deltas=[0.5])
    with pytest.raises(ValueError, match="shape of Y"):
        fp(H[:, :2])
    Hn = H.copy()
    Hn[1, 1] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        fp(Hn)
    with pytest.raises(ValueError, match="memory_gb"):
        FilteringProbe(X, Y, method="exact", memory_gb=1e-9)

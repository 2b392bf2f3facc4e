"""ProjectionProbe against an independent dense computation."""
from __future__ import annotations

import numpy as np
import pytest

from hybridsolve.probes import ProjectionProbe, projection_peaks


def _dense(xp, v, freqs):
    """Independent reference: explicit loops over frequencies, cos/sin sums."""
    out = np.empty(len(freqs), complex)
    for j, k in enumerate(freqs):
        ang = 2 * np.pi * k * xp
        out[j] = (np.sum(v * np.cos(ang)) - 1j * np.sum(v * np.sin(ang))) / len(xp)
    return out


def test_spectrum_and_delta_F_match_dense(rng):
    X = rng.normal(size=(400, 7)) * np.array([5, 2, 1, 1, 0.5, 0.3, 0.1])
    Y = rng.normal(size=(400, 3))
    H = Y + 0.3 * rng.normal(size=Y.shape)
    pp = ProjectionProbe(X, Y, output=1, direction="pc1", peaks="auto", n_freqs=50)
    # pc1 from an SVD, independently of the probe's covariance eigen-solver
    _, _, vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
    assert abs(abs(vt[0] @ pp.direction) - 1) < 1e-10
    xp = X @ pp.direction
    ref_y = _dense(xp, Y[:, 1], pp.freqs)
    np.testing.assert_allclose(pp.y_hat, ref_y, rtol=1e-10, atol=1e-13)
    ref_h = _dense(xp, H[:, 1], pp.freqs)
    got = pp(H)
    for k, i in zip(pp.peaks, pp.peak_index):
        assert got[float(k)] == pytest.approx(abs(ref_h[i] - ref_y[i]) / abs(ref_y[i]), rel=1e-9)


def test_phase_errors_count(rng):
    X = rng.normal(size=(300, 3))
    X[:, 0] *= 3
    y = np.cos(2 * np.pi * 0.2 * X[:, 0])
    pp = ProjectionProbe(X, y, direction=[1, 0, 0], peaks=[0.2], freqs=np.linspace(0, 0.5, 51))
    # the same amplitude, shifted phase: |ĥ| == |ŷ| at the peak but Δ_F > 0
    h = np.cos(2 * np.pi * 0.2 * X[:, 0] + 1.0)
    assert abs(abs(pp.spectrum(h)[20]) - pp.amplitude[20]) < 0.05 * pp.amplitude[20]
    assert pp(h)[0.2] > 0.5


def test_pc_k_and_vector_directions(rng):
    X = rng.normal(size=(200, 4)) * np.array([4, 3, 2, 1])
    Y = rng.normal(size=200)
    p2 = ProjectionProbe(X, Y, direction="pc2", peaks=[0.0])
    assert abs(abs(p2.direction[1]) - 1) < 0.1
    pv = ProjectionProbe(X, Y, direction=[0, 0, 2.0, 0], peaks=[0.0])
    np.testing.assert_allclose(pv.direction, [0, 0, 1, 0])


def test_projection_peaks_auto():
    a = np.array([1.0, 0.2, 0.5, 0.1, 0.3, 0.05, 0.001, 0.002, 0.0])
    assert projection_peaks(a, min_rel=0.02).tolist() == [0, 2, 4]
    assert projection_peaks(a, max_peaks=2, min_rel=0.0).tolist() == [0, 2]


def test_bad_input(rng):
    X = rng.normal(size=(50, 3))
    with pytest.raises(ValueError, match="Y has 49 rows but X has 50"):
        ProjectionProbe(X, np.zeros(49))
    Xn = X.copy()
    Xn[3, 1] = np.inf
    with pytest.raises(ValueError, match="X contains non-finite"):
        ProjectionProbe(Xn, np.zeros(50))
    with pytest.raises(ValueError, match="direction"):
        ProjectionProbe(X, np.ones(50), direction="up")
    pp = ProjectionProbe(X, rng.normal(size=50), peaks=[0.0])
    with pytest.raises(ValueError, match="non-finite"):
        pp(np.full(50, np.nan))
    with pytest.raises(ValueError, match="50 rows"):
        pp(np.zeros(10))
